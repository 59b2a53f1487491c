using CsCheck;
using MiSinkhole.Core.Configuration;
using MiSinkhole.Hosting;
using MiSinkhole.TestKit;

namespace MiSinkhole.Tests.Hosting;

/// <summary>
/// The config reader against mutated copies of the shipped config (CsCheck): characters deleted,
/// inserted and swapped, values retyped. Whatever the file holds, reading it never throws; a
/// config it refuses comes with problems that each name where (the file with line and column, or
/// the key) and what; and the shipped config itself reads without a problem.
/// </summary>
[TestClass]
public sealed class ConfigLoaderProperties
{
    private static readonly string Shipped = File.ReadAllText(RepositoryPaths.File("config", "misinkhole.json"));

    /// <summary>A folder like the shipped config's: its rules next to the file being read.</summary>
    private static TempDirectory ConfigFolder()
    {
        var dir = new TempDirectory();
        string rules = RepositoryPaths.File("config", "rules");
        foreach (string source in Directory.GetFiles(rules, "*.txt", SearchOption.AllDirectories))
        {
            string target = Path.Combine(dir.Path, "rules", Path.GetRelativePath(rules, source));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(source, target);
        }

        return dir;
    }

    [TestMethod]
    public void TheShippedConfig_ReadsWithoutAProblem()
    {
        using TempDirectory dir = ConfigFolder();
        string file = dir.Write("misinkhole.json", Shipped);

        LoadedConfig loaded = ConfigLoader.Load(file, []);

        Assert.IsTrue(loaded.IsValid, string.Join("\n", loaded.Problems));
    }

    [TestMethod]
    public void MutatedConfigs_AreReadOrRefusedWithWhereAndWhat_NeverThrown()
    {
        using TempDirectory dir = ConfigFolder();
        var edit = Gen.Select(Gen.Int[0, 4], Gen.Int[0, Shipped.Length - 1], Gen.Int[1, 12], Gen.Char["{}[],:\"\\ 0a-/.#*\n"]);
        int refused = 0;
        edit.Array[1, 4].Sample(edits =>
        {
            string text = Shipped;
            foreach ((int kind, int at, int length, char c) in edits)
            {
                int position = Math.Min(at, text.Length - 1);
                text = kind switch
                {
                    0 => text.Remove(position, Math.Min(length, text.Length - position)),
                    1 => text.Insert(position, new string(c, length % 3 + 1)),
                    2 => text[..position] + c + text[(position + 1)..],
                    3 => text.Replace("\"strict\"", "\"" + new string(c, length) + "\"", StringComparison.Ordinal),
                    _ => text.Replace("true", "\"yes\"", StringComparison.Ordinal).Replace("1.00:00:00", new string(c, length), StringComparison.Ordinal),
                };
            }

            string file = Path.Combine(dir.Path, $"{Guid.NewGuid():N}.json");
            File.WriteAllText(file, text);
            LoadedConfig loaded = ConfigLoader.Load(file, []);
            File.Delete(file);
            if (!loaded.IsValid)
            {
                Interlocked.Increment(ref refused);
                foreach (ConfigError problem in loaded.Problems.Where(p => !p.IsWarning))
                {
                    Assert.IsFalse(string.IsNullOrWhiteSpace(problem.Message), $"a problem says what: {problem}");
                    Assert.IsTrue(problem.Key.Length > 0 || (problem.File is not null && problem.Line is not null), $"a problem says where: {problem}");
                }
            }
        }, iter: 1_500);

        Assert.IsGreaterThan(100, refused, "the mutations must reach the error paths");
    }
}
