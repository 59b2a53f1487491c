namespace MiSinkhole.Core.Lists;

public enum DownloadResult
{
    /// <summary>A new good copy replaced the cached one.</summary>
    Updated,

    /// <summary>The server said 304: the cached copy is current.</summary>
    NotModified,

    /// <summary>Error, HTML, empty or mostly unparsable: the last good copy stays.</summary>
    Failed,
}
