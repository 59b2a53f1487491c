namespace MiSinkhole.TestKit;

/// <summary>Waits for a state by looking again every 50 ms (never a fixed sleep), up to a generous bound.</summary>
public static class Poll
{
    public static async Task UntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        DateTime end = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (!condition())
        {
            if (DateTime.UtcNow > end)
            {
                throw new TimeoutException($"not reached in {timeout ?? TimeSpan.FromSeconds(20)}: {what}");
            }

            await Task.Delay(50);
        }
    }
}
