using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Xml;

namespace Rotator.Cli.AdminApi;

/// <summary>Reads the admin API's JSON: camelCase, enums as strings (DESIGN: the contract in <c>Admin/AdminContracts.cs</c>).</summary>
internal static class AdminJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(), new LenientTimeSpanConverter() },
    };

    public static T? Read<T>(string body) => JsonSerializer.Deserialize<T>(body, Options);

    /// <summary>A list answer: a JSON array, or an object whose first array property holds the items (a wrapper added later keeps working).</summary>
    public static IReadOnlyList<T> ReadList<T>(string body)
    {
        using var document = JsonDocument.Parse(body);
        var root = document.RootElement;
        var array = root.ValueKind == JsonValueKind.Array
            ? root
            : root.ValueKind == JsonValueKind.Object
                ? root.EnumerateObject().Select(p => p.Value).FirstOrDefault(v => v.ValueKind == JsonValueKind.Array)
                : default;
        if (array.ValueKind != JsonValueKind.Array)
        {
            throw new JsonException("the answer holds no list");
        }

        return array.Deserialize<List<T>>(Options) ?? [];
    }

    /// <summary>The problem details of an error answer (RFC 7807), or null when the body is not one.</summary>
    public static AdminProblem? ReadProblem(string body)
    {
        if (string.IsNullOrWhiteSpace(body))
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

            return new AdminProblem(Text(root, "title"), Text(root, "detail"), Text(root, "rotationId"));
        }
        catch (JsonException)
        {
            return null;
        }

        static string? Text(JsonElement root, string name) =>
            root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
    }

    /// <summary>TimeSpans as .NET writes them (<c>1.02:03:04</c>), as ISO 8601 (<c>P1DT2H</c>), or as seconds.</summary>
    private sealed class LenientTimeSpanConverter : JsonConverter<TimeSpan>
    {
        public override TimeSpan Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            if (reader.TokenType == JsonTokenType.Number)
            {
                return TimeSpan.FromSeconds(reader.GetDouble());
            }

            var text = reader.GetString() ?? "";
            if (TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var span))
            {
                return span;
            }

            try
            {
                return XmlConvert.ToTimeSpan(text);
            }
            catch (FormatException)
            {
                throw new JsonException($"'{text}' is not a duration");
            }
        }

        public override void Write(Utf8JsonWriter writer, TimeSpan value, JsonSerializerOptions options) =>
            writer.WriteStringValue(value.ToString("c", CultureInfo.InvariantCulture));
    }
}

/// <summary>What an error answer said: its title and detail, and the rotation in flight for a 409 on rotate.</summary>
internal sealed record AdminProblem(string? Title, string? Detail, string? RotationId);
