using System.Globalization;

namespace MiSinkhole.Core.Configuration;

/// <summary>
/// Sizes in the config: a number of bytes (<c>1048576</c>) or a number with a unit, <c>KB</c>,
/// <c>MB</c>, <c>GB</c> (1024-based, as are <c>KiB</c>, <c>MiB</c>, <c>GiB</c>): <c>64KB</c>,
/// <c>32MB</c>, <c>1.5GB</c>.
/// </summary>
public static class ByteSize
{
    private static readonly (string Unit, long Scale)[] Units =
        [("KiB", 1L << 10), ("MiB", 1L << 20), ("GiB", 1L << 30), ("KB", 1L << 10), ("MB", 1L << 20), ("GB", 1L << 30), ("B", 1)];

    public static bool TryParse(string text, out long bytes)
    {
        text = text.Trim();
        bytes = 0;
        foreach ((string unit, long scale) in Units)
        {
            if (text.EndsWith(unit, StringComparison.OrdinalIgnoreCase))
            {
                return TryScale(text.AsSpan(0, text.Length - unit.Length).Trim(), scale, out bytes);
            }
        }

        return TryScale(text, 1, out bytes);
    }

    /// <summary>A size between <paramref name="min"/> and <paramref name="max"/> bytes; a bad value is reported and <paramref name="fallback"/> kept.</summary>
    public static long Bytes(this ConfigSection section, string key, long fallback, long min, long max)
    {
        string? text = section[key];
        if (text is null)
        {
            return fallback;
        }

        if (!TryParse(text, out long value) || value < min || value > max)
        {
            section.Error(key, $"'{text}' is not a size from {Format(min)} to {Format(max)} (e.g. 65536, 512KB, 32MB)");
            return fallback;
        }

        return value;
    }

    /// <summary>The largest whole unit: <c>32MB</c>, <c>64KB</c>, <c>1000B</c>.</summary>
    public static string Format(long bytes) =>
        bytes >= 1L << 30 && bytes % (1L << 30) == 0 ? $"{bytes >> 30}GB"
        : bytes >= 1L << 20 && bytes % (1L << 20) == 0 ? $"{bytes >> 20}MB"
        : bytes >= 1L << 10 && bytes % (1L << 10) == 0 ? $"{bytes >> 10}KB"
        : $"{bytes}B";

    private static bool TryScale(ReadOnlySpan<char> number, long scale, out long bytes)
    {
        bytes = 0;
        if (!double.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double value)
            || !double.IsFinite(value) || value * scale > long.MaxValue / 2)
        {
            return false;
        }

        bytes = (long)(value * scale);
        return true;
    }
}
