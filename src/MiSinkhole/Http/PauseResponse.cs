namespace MiSinkhole.Http;

/// <summary>The answer of the pause endpoints: whose blocking is paused, until when (null: resumed).</summary>
public sealed record PauseResponse(string Device, bool Paused, DateTimeOffset? Until);
