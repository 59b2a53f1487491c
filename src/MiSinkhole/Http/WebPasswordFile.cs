using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using MiSinkhole.Core;

namespace MiSinkhole.Http;

/// <summary>
/// The web page's password, set with <c>misinkhole web-password</c>: <c>DataDirectory/web-password</c>
/// (mode 0600) holds only its PBKDF2-SHA256 hash (<c>pbkdf2-sha256$ITERATIONS$SALT$HASH</c>, salt and
/// hash base64, 16 and 32 bytes), never the password. Without the file the page takes the API
/// token only.
/// </summary>
public static class WebPasswordFile
{
    public const string FileName = "web-password";
    public const int MinLength = 8;
    private const int Iterations = 210_000; // OWASP's figure for PBKDF2-HMAC-SHA256 (2023)
    private const string Scheme = "pbkdf2-sha256";

    public static string PathIn(string dataDirectory) => Path.Combine(dataDirectory, FileName);

    /// <summary>Writes the hash of <paramref name="password"/> (replacing an earlier one; the new file is 0600 from its first byte).</summary>
    /// <exception cref="ArgumentException">Shorter than <see cref="MinLength"/>.</exception>
    public static void Write(string path, string password)
    {
        if (password.Length < MinLength)
        {
            throw new ArgumentException($"the password needs at least {MinLength} characters");
        }

        byte[] salt = RandomNumberGenerator.GetBytes(16);
        byte[] hash = Rfc2898DeriveBytes.Pbkdf2(password, salt, Iterations, HashAlgorithmName.SHA256, 32);
        string line = string.Create(CultureInfo.InvariantCulture, $"{Scheme}${Iterations}${Convert.ToBase64String(salt)}${Convert.ToBase64String(hash)}\n");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        string temporary = path + ".new";
        File.Delete(temporary);
        if (!SecretFile.TryCreate(temporary, Encoding.ASCII.GetBytes(line)))
        {
            throw new IOException($"cannot create {temporary}");
        }

        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>Whether <paramref name="password"/> is the one whose hash <paramref name="path"/> holds; false without a (readable, well-formed) file.</summary>
    public static bool Verify(string path, string password)
    {
        string[] parts;
        try
        {
            parts = File.ReadAllText(path, Encoding.ASCII).Trim().Split('$');
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }

        if (parts.Length != 4 || parts[0] != Scheme || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int iterations) || iterations < 1)
        {
            return false;
        }

        try
        {
            byte[] salt = Convert.FromBase64String(parts[2]);
            byte[] expected = Convert.FromBase64String(parts[3]);
            byte[] actual = Rfc2898DeriveBytes.Pbkdf2(password, salt, iterations, HashAlgorithmName.SHA256, expected.Length);
            return CryptographicOperations.FixedTimeEquals(actual, expected);
        }
        catch (FormatException)
        {
            return false;
        }
    }
}
