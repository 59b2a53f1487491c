using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using MiSinkhole.Core;
using MiSinkhole.Core.Configuration;

namespace MiSinkhole.Http;

/// <summary>
/// The API token the daemon makes for itself when <c>Http:ApiToken</c> is not set:
/// <c>DataDirectory/api-token</c>, 32 random bytes (base64url, one line), created with mode 0600
/// by the call that creates the file (<see cref="SecretFile"/>: never a wider file narrowed
/// afterwards, so there is no moment at which another user could open it), and kept: later starts read it. The CLI verbs
/// that talk to the API read it the same way (<see cref="ForClient"/>).
/// </summary>
public static class ApiTokenFile
{
    /// <summary>The file's name in <c>DataDirectory</c>.</summary>
    public const string FileName = "api-token";

    public static string PathIn(string dataDirectory) => Path.Combine(dataDirectory, FileName);

    /// <summary>Reads the token file, or creates it (0600) with a new random token when there is none.</summary>
    /// <exception cref="IOException">It cannot be created or read, or holds no usable token (the message says which and what to do).</exception>
    public static (string Token, bool Created) LoadOrCreate(string path)
    {
        if (TryRead(path, out string? existing, out string? problem))
        {
            return (existing, false);
        }

        if (File.Exists(path))
        {
            throw new IOException(problem);
        }

        string token = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        try
        {
            if (SecretFile.TryCreate(path, Encoding.ASCII.GetBytes(token + "\n")))
            {
                return (token, true);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"cannot create the API token file {path} ({e.Message}): make DataDirectory writable for the daemon's user, or set Http:ApiToken", e);
        }

        // Another process made it first: theirs is the token.
        return TryRead(path, out string? raced, out string? racedProblem) ? (raced, false) : throw new IOException(racedProblem);
    }

    /// <summary>The token in <paramref name="path"/>; false and why when there is none or it cannot be read.</summary>
    public static bool TryRead(string path, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? token, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out string? problem)
    {
        token = null;
        try
        {
            string text = File.ReadAllText(path, Encoding.ASCII).Trim();
            if (text.Length < HttpOptions.MinTokenLength || text.Any(c => c <= ' ' || c > '~'))
            {
                problem = $"{path} holds no usable API token (one line of at least {HttpOptions.MinTokenLength} printable characters): delete it and the daemon makes a new one at its next start";
                return false;
            }

            token = text;
            problem = null;
            return true;
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            problem = $"there is no API token file at {path}";
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            problem = $"cannot read {path} (permission denied): run this as the daemon's user or as root";
            return false;
        }
        catch (IOException e)
        {
            problem = $"cannot read {path}: {e.Message}";
            return false;
        }
    }

    /// <summary>
    /// The token a CLI verb sends to the daemon of <paramref name="options"/>: <c>Http:ApiToken</c>,
    /// else the daemon's token file in <c>DataDirectory</c>; null and a sentence saying why not
    /// (and what to pass) when neither is there.
    /// </summary>
    public static (string? Token, string? Problem) ForClient(SinkholeOptions options)
    {
        if (options.Http.ApiToken is string configured)
        {
            return (configured, null);
        }

        string path = PathIn(options.DataDirectory);
        return TryRead(path, out string? token, out string? problem)
            ? (token, null)
            : (null, $"Http:ApiToken is not set, and {problem}. The daemon makes that file at its first start in its DataDirectory: give this command the daemon's (--DataDirectory=/var/lib/misinkhole under systemd, /data in the Docker image), or set Http:ApiToken in the config");
    }
}
