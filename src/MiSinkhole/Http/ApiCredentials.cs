using MiSinkhole.Core.Configuration;

namespace MiSinkhole.Http;

/// <summary>
/// The token every <c>/api</c> request must carry, and where it came from: <c>Http:ApiToken</c>,
/// or the daemon's own token file in <c>DataDirectory</c> (<see cref="ApiTokenFile"/>), made at
/// the first start.
/// </summary>
/// <param name="Token">The API token.</param>
/// <param name="TokenFile">The file it was read from or written to; null when it is <c>Http:ApiToken</c>.</param>
/// <param name="Created">The file was made by this start.</param>
public sealed record ApiCredentials(string Token, string? TokenFile, bool Created)
{
    /// <summary>The configured token, else the token file (created when missing).</summary>
    /// <exception cref="IOException">The token file cannot be created or read.</exception>
    public static ApiCredentials Resolve(SinkholeOptions options)
    {
        if (options.Http.ApiToken is string configured)
        {
            return new ApiCredentials(configured, null, false);
        }

        string path = ApiTokenFile.PathIn(options.DataDirectory);
        (string token, bool created) = ApiTokenFile.LoadOrCreate(path);
        return new ApiCredentials(token, path, created);
    }
}
