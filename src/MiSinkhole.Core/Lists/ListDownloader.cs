using System.Net;
using System.Net.Http.Headers;
using MiSinkhole.Rules;

namespace MiSinkhole.Core.Lists;

/// <summary>
/// Downloads one URL source with a conditional GET (ETag / If-Modified-Since), streams it to a
/// temporary file (lines longer than <c>Lists:MaxLineLength</c> dropped, see
/// <see cref="LineCappedCopy"/>), checks that it is a usable list (not an error, not an HTML
/// page, not empty, not 90 % unparsable) and only then moves it over the last good copy. The
/// whole exchange, body included, must end within <c>Lists:DownloadTimeout</c>: a server that
/// sends its headers and then drips the body fails like one that never answers.
/// </summary>
public sealed class ListDownloader
{
    /// <summary>Larger downloads are refused (a 1M-name hosts file is about 32 MB).</summary>
    public const long MaxBytes = 256L << 20;

    private readonly HttpClient _http;
    private readonly TimeProvider _time;

    public ListDownloader(HttpClient http, TimeProvider time)
    {
        _http = http;
        _time = time;
    }

    public async Task<DownloadOutcome> RefreshAsync(ListSubscription subscription, ListDownloadOptions options, CancellationToken cancellationToken)
    {
        using var deadline = new CancellationTokenSource(options.DownloadTimeout, _time);
        using var both = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        try
        {
            return await DownloadAsync(subscription, options, both.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            return Failed($"not downloaded within {options.DownloadTimeout.TotalSeconds:0.#} s (Lists:DownloadTimeout)");
        }
        finally
        {
            TryDelete(subscription.CachePath + ".download"); // moved over the cache when good; else what is left of it
        }
    }

    private async Task<DownloadOutcome> DownloadAsync(ListSubscription subscription, ListDownloadOptions options, CancellationToken cancellationToken)
    {
        string cache = subscription.CachePath;
        Directory.CreateDirectory(Path.GetDirectoryName(cache)!);
        ListCacheMetadata? meta = File.Exists(cache) ? ListCacheMetadata.Read(cache) : null;
        using var request = new HttpRequestMessage(HttpMethod.Get, subscription.Url);
        if (meta?.ETag is string etag && EntityTagHeaderValue.TryParse(etag, out EntityTagHeaderValue? tag))
        {
            request.Headers.IfNoneMatch.Add(tag);
        }

        if (meta?.LastModified is DateTimeOffset modified)
        {
            request.Headers.IfModifiedSince = modified;
        }

        string temp = cache + ".download";
        try
        {
            using HttpResponseMessage response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            if (response.StatusCode == HttpStatusCode.NotModified && meta is not null)
            {
                (meta with { CheckedAt = _time.GetUtcNow() }).Write(cache);
                return new DownloadOutcome(DownloadResult.NotModified);
            }

            if (!response.IsSuccessStatusCode)
            {
                return Failed($"HTTP {(int)response.StatusCode} {response.ReasonPhrase}");
            }

            if (response.Content.Headers.ContentType?.MediaType is "text/html" or "application/xhtml+xml")
            {
                return Failed("an HTML page, not a list");
            }

            var copy = new LineCappedCopy(options.MaxLineLength);
            await using (Stream body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false))
            await using (FileStream file = File.Create(temp))
            {
                await copy.CopyAsync(body, file, cancellationToken).ConfigureAwait(false);
            }

            string? problem = Validate(temp, out int rules);
            if (problem is not null)
            {
                File.Delete(temp);
                return Failed(problem);
            }

            File.Move(temp, cache, overwrite: true);
            new ListCacheMetadata(response.Headers.ETag?.ToString(), response.Content.Headers.LastModified, _time.GetUtcNow()).Write(cache);
            return new DownloadOutcome(DownloadResult.Updated, null, rules, copy.Dropped);
        }
        catch (Exception e) when ((e is HttpRequestException or IOException or TaskCanceledException or InvalidDataException) && !cancellationToken.IsCancellationRequested)
        {
            TryDelete(temp);
            return Failed(e.Message);
        }
    }

    /// <summary>Null when the file is a usable list, else why not.</summary>
    private static string? Validate(string path, out int rules)
    {
        rules = 0;
        var info = new FileInfo(path);
        if (info.Length == 0)
        {
            return "empty body";
        }

        using (var peek = new StreamReader(path))
        {
            var head = new char[512];
            int read = peek.ReadBlock(head, 0, head.Length);
            string start = new string(head, 0, read).TrimStart().ToLowerInvariant();
            if (start.StartsWith("<!doctype html", StringComparison.Ordinal) || start.StartsWith("<html", StringComparison.Ordinal))
            {
                return "an HTML page, not a list";
            }
        }

        var counter = new CountingSink();
        using (var reader = new StreamReader(path))
        {
            RuleListParser.Parse(reader, path, counter, 0, counter);
        }

        rules = counter.Rules;
        if (rules == 0)
        {
            return "no rules in the download";
        }

        return counter.Count >= 0.9 * (counter.Count + rules) ? $"{counter.Count} of {counter.Count + rules} lines unparsable" : null;
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
    }

    private static DownloadOutcome Failed(string reason) => new(DownloadResult.Failed, reason);
}
