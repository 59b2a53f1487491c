namespace MiSinkhole.Core.Stages.Forward;

/// <summary>One upstream as the strategies see it now: its group (<c>default</c> or a conditional domain), whether it is up, and its score (recent latency plus failure penalty, ms).</summary>
public sealed record UpstreamStatus(string Group, string Server, UpstreamProtocol Protocol, bool Healthy, double ScoreMs);
