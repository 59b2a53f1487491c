namespace MiSinkhole.Http;

/// <summary>Why <see cref="HttpAccess"/> refused a request: the status, a title and a sentence for the problem body, and the challenge of a 401.</summary>
public sealed record AccessDenial(int Status, string Title, string Detail)
{
    /// <summary>The <c>WWW-Authenticate</c> header of a 401; null for other statuses.</summary>
    public string? Challenge { get; init; }
}
