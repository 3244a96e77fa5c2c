using System.Globalization;
using System.Text.Json;

namespace Rotator.Issuers.Http;

/// <summary>RFC 6901 JSON pointers over <see cref="JsonElement"/>: <c>""</c> is the whole document, <c>~1</c> is <c>/</c>, <c>~0</c> is <c>~</c>.</summary>
internal static class JsonPointer
{
    public static bool IsValid(string? pointer)
    {
        if (pointer is null)
        {
            return false;
        }

        if (pointer.Length == 0)
        {
            return true;
        }

        if (pointer[0] != '/')
        {
            return false;
        }

        for (var i = 0; i < pointer.Length; i++)
        {
            // "~" must be followed by 0 or 1; anything else is not a pointer.
            if (pointer[i] == '~' && (i + 1 >= pointer.Length || (pointer[i + 1] != '0' && pointer[i + 1] != '1')))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Resolves <paramref name="pointer"/>; false when it is malformed or leads nowhere.</summary>
    public static bool TryResolve(JsonElement root, string? pointer, out JsonElement value)
    {
        value = default;
        if (!IsValid(pointer))
        {
            return false;
        }

        var current = root;
        if (pointer!.Length > 0)
        {
            foreach (var raw in pointer[1..].Split('/'))
            {
                // ~1 first: "~01" means "~1", not "/".
                var token = raw.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal);
                switch (current.ValueKind)
                {
                    case JsonValueKind.Object when current.TryGetProperty(token, out var child):
                        current = child;
                        break;
                    case JsonValueKind.Array when TryIndex(token, current.GetArrayLength(), out var index):
                        current = current[index];
                        break;
                    default:
                        return false;
                }
            }
        }

        value = current;
        return true;
    }

    /// <summary>A string, or a number's text (vendors use both for ids); null for anything else.</summary>
    public static string? GetScalar(JsonElement root, string? pointer) =>
        TryResolve(root, pointer, out var value)
            ? value.ValueKind switch
            {
                JsonValueKind.String => value.GetString(),
                JsonValueKind.Number => value.GetRawText(),
                _ => null,
            }
            : null;

    /// <summary>An ISO-8601 string or Unix seconds (number or digits); null when absent or unreadable.</summary>
    public static DateTimeOffset? GetTimestamp(JsonElement root, string? pointer)
    {
        if (!TryResolve(root, pointer, out var value))
        {
            return null;
        }

        switch (value.ValueKind)
        {
            case JsonValueKind.Number:
                return FromUnixSeconds(value.TryGetInt64(out var whole) ? whole : value.TryGetDouble(out var real) ? real : double.NaN);
            case JsonValueKind.String:
                var text = value.GetString();
                if (long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var seconds))
                {
                    return FromUnixSeconds(seconds);
                }

                // A timestamp without an offset is taken as UTC, not as the worker's local time.
                return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed) ? parsed : null;
            default:
                return null;
        }
    }

    private static DateTimeOffset? FromUnixSeconds(double seconds)
    {
        const double min = -62_135_596_800; // 0001-01-01
        const double max = 253_402_300_799; // 9999-12-31T23:59:59
        return double.IsFinite(seconds) && seconds is >= min and <= max
            ? DateTimeOffset.FromUnixTimeMilliseconds((long)Math.Round(seconds * 1000))
            : null;
    }

    private static bool TryIndex(string token, int length, out int index)
    {
        index = -1;
        // RFC 6901: digits only, no leading zero, no "-" (the past-the-end element never exists when reading).
        if (token.Length == 0 || (token.Length > 1 && token[0] == '0') || !token.All(char.IsAsciiDigit))
        {
            return false;
        }

        return int.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out index) && index < length;
    }
}
