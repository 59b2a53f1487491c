using MiSinkhole.Core.Stages.Forward;

namespace MiSinkhole.Http;

/// <summary>
/// The answer of <c>/api/status</c>: the config file changes are written to (null: the embedded
/// default config, which the page cannot change), when the running rules were compiled, every list
/// and every upstream.
/// </summary>
public sealed record StatusResponse(string? ConfigFile, DateTimeOffset CompiledAt, IReadOnlyList<string> Policies, IReadOnlyList<ListStatus> Lists, IReadOnlyList<UpstreamStatus> Upstreams);
