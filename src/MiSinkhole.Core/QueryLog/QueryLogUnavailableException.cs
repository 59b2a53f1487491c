namespace MiSinkhole.Core.QueryLog;

/// <summary>The query log's database cannot be read now (PostgreSQL away): the API answers 503, DNS is not concerned.</summary>
public sealed class QueryLogUnavailableException(string message, Exception inner) : Exception(message, inner);
