namespace MiSinkhole.Core;

/// <summary>
/// Files only the daemon's user may read (the API token, the key of anonymised client tokens):
/// created with mode 0600 by the call that creates them (<see cref="FileStreamOptions.UnixCreateMode"/>),
/// so there is no moment at which the file exists with a wider mode and is then narrowed;
/// never replaced once there.
/// </summary>
public static class SecretFile
{
    /// <summary>Owner read and write, nothing for anyone else.</summary>
    public const UnixFileMode Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>Creates <paramref name="path"/> (0600) holding <paramref name="content"/>; false when it already exists (someone else made it first).</summary>
    /// <exception cref="IOException">It cannot be created.</exception>
    /// <exception cref="UnauthorizedAccessException">Its folder is not writable.</exception>
    public static bool TryCreate(string path, ReadOnlySpan<byte> content)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var create = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            create.UnixCreateMode = Mode;
        }

        FileStream file;
        try
        {
            file = new FileStream(path, create);
        }
        catch (IOException) when (File.Exists(path))
        {
            return false;
        }

        using (file)
        {
            file.Write(content);
            file.Flush(flushToDisk: true);
        }

        return true;
    }
}
