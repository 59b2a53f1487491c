using Microsoft.AspNetCore.Builder;

namespace MiSinkhole.Http;

/// <summary>Declares on an endpoint (or a group) what it needs from its caller.</summary>
public static class HttpAccessExtensions
{
    public static TBuilder RequireAccess<TBuilder>(this TBuilder builder, HttpAccessLevel level)
        where TBuilder : IEndpointConventionBuilder => builder.WithMetadata(new RequiresAccess(level));
}
