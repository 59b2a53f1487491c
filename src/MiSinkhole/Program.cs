using MiSinkhole.Cli;

// .NET socket completions (TCP reads, TCP upstream fallback, and upstream UDP where the epoll
// exchange is not available) run inline on the socket engine's thread instead of hopping to the
// thread pool: measured +20% forwarded queries per CPU-second with .NET sockets upstream.
// Everything that runs there only parses, writes and sends; it never blocks. Read once when the
// first socket is created, so it must be set before anything else.
if (Environment.GetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS") is null)
{
    Environment.SetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS", "1");
}

MiSinkhole.Hosting.NativeHeap.CapArenas(); // before the threads that would each get an arena

return await CommandLine.Create().Parse(args).InvokeAsync().ConfigureAwait(false);
