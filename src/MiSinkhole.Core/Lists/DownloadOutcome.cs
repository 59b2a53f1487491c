namespace MiSinkhole.Core.Lists;

/// <summary>How one refresh of a URL source went; <see cref="Reason"/> says why it failed; <see cref="LongLines"/>: lines dropped for their length.</summary>
public readonly record struct DownloadOutcome(DownloadResult Result, string? Reason = null, int Rules = 0, int LongLines = 0);
