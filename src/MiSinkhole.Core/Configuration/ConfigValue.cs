using System.Globalization;
using System.Net;

namespace MiSinkhole.Core.Configuration;

/// <summary>Parsers for the value forms the configuration accepts.</summary>
public static class ConfigValue
{
    /// <summary>"10.0.0.1", "10.0.0.1:5353", "[::1]:53", "::1": a bare address gets <paramref name="defaultPort"/>. Port 0 (any free port) only where allowed.</summary>
    public static bool TryParseEndPoint(string text, int defaultPort, out IPEndPoint endPoint, bool allowPortZero = false)
    {
        endPoint = null!;
        if (IPAddress.TryParse(text, out IPAddress? bare) && !text.StartsWith('['))
        {
            endPoint = new IPEndPoint(bare, defaultPort);
            return true;
        }

        if (IPEndPoint.TryParse(text, out IPEndPoint? parsed) && (parsed.Port != 0 || allowPortZero))
        {
            endPoint = parsed;
            return true;
        }

        return false;
    }

    /// <summary>"00:00:10" (TimeSpan) or a number with a unit: "500ms", "10s", "5m", "24h", "7d"; at most ten years.</summary>
    public static bool TryParseDuration(string text, out TimeSpan duration)
    {
        text = text.Trim();
        (string unit, double scale)[] units = [("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000), ("d", 86_400_000)];
        foreach ((string unit, double scale) in units)
        {
            if (text.EndsWith(unit, StringComparison.OrdinalIgnoreCase)
                && double.TryParse(text.AsSpan(0, text.Length - unit.Length), NumberStyles.Float, CultureInfo.InvariantCulture, out double value)
                && value >= 0 && double.IsFinite(value) && value * scale <= TimeSpan.FromDays(3650).TotalMilliseconds)
            {
                duration = TimeSpan.FromMilliseconds(value * scale);
                return true;
            }
        }

        return TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out duration) && duration >= TimeSpan.Zero;
    }
}
