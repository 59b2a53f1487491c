using MiSinkhole.Core.Configuration;
using MiSinkhole.Core.Pipeline;
using MiSinkhole.Core.Policies;
using MiSinkhole.Dns;
using MiSinkhole.Hosting;

namespace MiSinkhole.Benchmarks;

/// <summary>
/// How much of a set of evidenced telemetry names a policy of a config blocks:
/// <c>dotnet run -c Release --project tests/MiSinkhole.Benchmarks -- recall NAMES.tsv [POLICY] [CONFIG]</c>
/// (defaults: <c>strict</c>, <c>config/misinkhole.json</c>). NAMES.tsv has a header line and the
/// name in its first column. Recall counts the rows whose <c>category</c> is telemetry, crash or
/// ads and whose <c>needed</c> is not <c>yes</c>; rows whose <c>needed</c> is <c>yes</c> are
/// counted apart: those must not be blocked. Other rows (unknown roles) count for neither. Prints only the counts, so a held-back set can be measured without
/// seeing which names it misses; <c>--misses</c> lists them (and any needed name blocked).
/// </summary>
public static class RecallProbe
{
    public static int Run(IReadOnlyList<string> args)
    {
        string file = args[0];
        string[] rest = [.. args.Skip(1).Where(a => a != "--misses")];
        string policyName = rest.Length > 0 ? rest[0] : "strict";
        string configFile = rest.Length > 1 ? rest[1] : "config/misinkhole.json";
        LoadedConfig config = ConfigLoader.Load(configFile, [], new Dictionary<string, string>());
        if (!config.IsValid)
        {
            Console.Error.WriteLine(string.Join("\n", config.Problems));
            return 1;
        }

        (ConfigSnapshot snapshot, _) = ActiveConfig.Compile(config.Options);
        if (!snapshot.Policies.TryGetValue(policyName, out CompiledPolicy? policy))
        {
            Console.Error.WriteLine($"no policy '{policyName}' in {configFile}");
            return 1;
        }

        string[] header = File.ReadLines(file).First().Split('\t');
        int needed = Array.IndexOf(header, "needed");
        int category = Array.IndexOf(header, "category");
        var misses = new List<string>();
        var neededBlocked = new List<string>();
        int total = 0;
        int neededTotal = 0;
        foreach (string line in File.ReadLines(file).Skip(1).Where(l => l.Length > 0 && !l.StartsWith('#')))
        {
            string[] columns = line.Split('\t');
            string name = columns[0].Trim().TrimEnd('.').ToLowerInvariant();
            bool blocked = policy.Decide(snapshot.Rules.Match(DnsName.FromText(name), DnsRecordType.A)).Action == PolicyAction.Blocked;
            if (needed >= 0 && columns.Length > needed && columns[needed] == "yes")
            {
                neededTotal++;
                if (blocked)
                {
                    neededBlocked.Add(name);
                }

                continue;
            }

            if (category >= 0 && (columns.Length <= category || columns[category] is not ("telemetry" or "crash" or "ads")))
            {
                continue;
            }

            total++;
            if (!blocked)
            {
                misses.Add(name);
            }
        }

        Console.WriteLine($"{file}: policy '{policyName}' blocks {total - misses.Count} of {total} ({100.0 * (total - misses.Count) / Math.Max(1, total):F1} %); needed names blocked: {neededBlocked.Count} of {neededTotal}");
        if (args.Contains("--misses"))
        {
            misses.ForEach(m => Console.WriteLine("missed: " + m));
            neededBlocked.ForEach(m => Console.WriteLine("needed but blocked: " + m));
        }

        return 0;
    }
}
