using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using MiSinkhole.Core.Configuration;
using MiSinkhole.Http;
using MiSinkhole.Transport;

namespace MiSinkhole.Hosting;

/// <summary>
/// <c>/healthz</c>: the process is alive. <c>/readyz</c>: the DNS listeners are bound and the
/// rules loaded (503 until then), for Docker health checks, systemd and load balancers. Both
/// are open to anyone who may reach the listener (<see cref="HttpAccessLevel.Open"/>).
/// </summary>
public static class HealthEndpoints
{
    public static void Map(IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/healthz", () => Results.Text("ok\n")).RequireAccess(HttpAccessLevel.Open);
        endpoints.MapGet("/readyz", (DnsServer dns, ActiveConfig config) =>
            dns.IsReady && config.TryGetCurrent() is not null
                ? Results.Text("ready\n")
                : Results.Text("not ready: " + (dns.IsReady ? "rules not loaded" : "DNS listeners not bound") + "\n", statusCode: StatusCodes.Status503ServiceUnavailable))
            .RequireAccess(HttpAccessLevel.Open);
    }
}
