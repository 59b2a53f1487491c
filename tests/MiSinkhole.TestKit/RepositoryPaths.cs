namespace MiSinkhole.TestKit;

/// <summary>Files of this repository (config/, rules), found upwards from the test's output folder.</summary>
public static class RepositoryPaths
{
    /// <summary>The repository's root folder (where MiSinkhole.sln is).</summary>
    public static string Root => Path.GetDirectoryName(File("MiSinkhole.sln"))!;

    public static string File(params string[] parts)
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (System.IO.File.Exists(Path.Combine(dir.FullName, "MiSinkhole.sln")))
            {
                return Path.Combine([dir.FullName, .. parts]);
            }
        }

        throw new FileNotFoundException("repository root (MiSinkhole.sln) not found above " + AppContext.BaseDirectory);
    }
}
