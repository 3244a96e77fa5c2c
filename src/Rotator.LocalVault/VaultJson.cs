using System.Text.Json;

namespace Rotator.LocalVault;

/// <summary>Reads and writes the Key Vault secrets wire format (SecretBundle, SecretItem, their deleted forms, error envelope).</summary>
internal static class VaultJson
{
    public static byte[] Bundle(string baseUri, string name, StoredVersion version, bool includeValue) =>
        Write(json => WriteVersion(json, baseUri, name, version, includeValue));

    /// <summary>A DeletedSecretBundle: the latest version without its value, plus recoveryId, deletedDate and scheduledPurgeDate.</summary>
    public static byte[] DeletedBundle(string baseUri, DeletedEntry deleted) =>
        Write(json => WriteVersion(json, baseUri, deleted.Name, deleted.Latest, includeValue: false, deleted));

    /// <summary>A page of DeletedSecretItems; their ids name the secret without a version, as Key Vault's do.</summary>
    public static byte[] DeletedPage(IEnumerable<DeletedEntry> items, string baseUri, string? nextLink) => Write(json =>
    {
        json.WriteStartObject();
        json.WriteStartArray("value");
        foreach (var deleted in items)
        {
            WriteVersion(json, baseUri, deleted.Name, deleted.Latest, includeValue: false, deleted, versionInId: false);
        }

        json.WriteEndArray();
        WriteNextLink(json, nextLink);
        json.WriteEndObject();
    });

    public static byte[] Page(IEnumerable<(string Name, StoredVersion Version)> items, string baseUri, string? nextLink) => Write(json =>
    {
        json.WriteStartObject();
        json.WriteStartArray("value");
        foreach (var (name, version) in items)
        {
            WriteVersion(json, baseUri, name, version, includeValue: false);
        }

        json.WriteEndArray();
        WriteNextLink(json, nextLink);
        json.WriteEndObject();
    });

    public static byte[] Error(string code, string message, string? innerCode = null) => Write(json =>
    {
        json.WriteStartObject();
        json.WriteStartObject("error");
        json.WriteString("code", code);
        json.WriteString("message", message);
        if (innerCode is not null)
        {
            json.WriteStartObject("innererror");
            json.WriteString("code", innerCode);
            json.WriteEndObject();
        }

        json.WriteEndObject();
        json.WriteEndObject();
    });

    private static void WriteNextLink(Utf8JsonWriter json, string? nextLink)
    {
        if (nextLink is null)
        {
            json.WriteNull("nextLink");
        }
        else
        {
            json.WriteString("nextLink", nextLink);
        }
    }

    private static void WriteVersion(
        Utf8JsonWriter json,
        string baseUri,
        string name,
        StoredVersion version,
        bool includeValue,
        DeletedEntry? deleted = null,
        bool versionInId = true)
    {
        json.WriteStartObject();
        if (deleted is not null)
        {
            json.WriteString("recoveryId", $"{baseUri}deletedsecrets/{name}");
            json.WriteNumber("deletedDate", deleted.DeletedDate);
            json.WriteNumber("scheduledPurgeDate", deleted.ScheduledPurgeDate);
        }

        if (includeValue)
        {
            json.WriteString("value", version.Value);
        }

        json.WriteString("id", versionInId ? $"{baseUri}secrets/{name}/{version.Id}" : $"{baseUri}secrets/{name}");
        if (version.ContentType is not null)
        {
            json.WriteString("contentType", version.ContentType);
        }

        json.WriteStartObject("attributes");
        json.WriteBoolean("enabled", version.Enabled);
        if (version.NotBefore is { } nbf)
        {
            json.WriteNumber("nbf", nbf);
        }

        if (version.ExpiresOn is { } exp)
        {
            json.WriteNumber("exp", exp);
        }

        json.WriteNumber("created", version.Created);
        json.WriteNumber("updated", version.Updated);
        json.WriteString("recoveryLevel", "Recoverable+Purgeable");
        json.WriteNumber("recoverableDays", VaultStore.RecoverableDays);
        json.WriteEndObject();

        if (version.Tags.Count > 0)
        {
            json.WriteStartObject("tags");
            foreach (var (key, value) in version.Tags)
            {
                json.WriteString(key, value);
            }

            json.WriteEndObject();
        }

        json.WriteEndObject();
    }

    private static byte[] Write(Action<Utf8JsonWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            write(json);
        }

        return buffer.ToArray();
    }
}

/// <summary>The fields of a PUT or PATCH body; each is null when the body leaves it out.</summary>
internal sealed record SecretRequest(
    string? Value,
    bool HasValue,
    string? ContentType,
    AttributeChange Attributes,
    Dictionary<string, string>? Tags)
{
    /// <summary>Parses a body; throws <see cref="BadParameterException"/> with the message Key Vault would give.</summary>
    public static SecretRequest Parse(ReadOnlySpan<byte> body)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body.ToArray());
        }
        catch (JsonException)
        {
            throw new BadParameterException("The request body is not valid JSON.");
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new BadParameterException("The request body must be a JSON object.");
            }

            string? value = null;
            var hasValue = false;
            if (root.TryGetProperty("value", out var valueElement) && valueElement.ValueKind != JsonValueKind.Null)
            {
                value = String(valueElement, "value");
                hasValue = true;
            }

            string? contentType = null;
            if (root.TryGetProperty("contentType", out var contentTypeElement) && contentTypeElement.ValueKind != JsonValueKind.Null)
            {
                contentType = String(contentTypeElement, "contentType");
            }

            Dictionary<string, string>? tags = null;
            if (root.TryGetProperty("tags", out var tagsElement) && tagsElement.ValueKind != JsonValueKind.Null)
            {
                if (tagsElement.ValueKind != JsonValueKind.Object)
                {
                    throw new BadParameterException("Property 'tags' must be an object.");
                }

                tags = new Dictionary<string, string>(StringComparer.Ordinal);
                foreach (var tag in tagsElement.EnumerateObject())
                {
                    tags[tag.Name] = String(tag.Value, $"tags.{tag.Name}");
                }
            }

            var attributes = default(AttributeChange);
            if (root.TryGetProperty("attributes", out var attributesElement) && attributesElement.ValueKind != JsonValueKind.Null)
            {
                if (attributesElement.ValueKind != JsonValueKind.Object)
                {
                    throw new BadParameterException("Property 'attributes' must be an object.");
                }

                attributes = new AttributeChange(
                    Optional(attributesElement, "enabled", e => e.ValueKind is JsonValueKind.True or JsonValueKind.False ? e.GetBoolean() : (bool?)null),
                    Optional(attributesElement, "nbf", e => e.ValueKind == JsonValueKind.Number && e.TryGetInt64(out var n) ? n : (long?)null),
                    Optional(attributesElement, "exp", e => e.ValueKind == JsonValueKind.Number && e.TryGetInt64(out var n) ? n : (long?)null));
            }

            return new SecretRequest(value, hasValue, contentType, attributes, tags);
        }
    }

    private static string String(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.String
            ? element.GetString()!
            : throw new BadParameterException($"Property '{name}' must be a string.");

    private static T? Optional<T>(JsonElement parent, string name, Func<JsonElement, T?> read)
        where T : struct
    {
        if (!parent.TryGetProperty(name, out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return read(element) ?? throw new BadParameterException($"Property 'attributes.{name}' has an invalid value.");
    }
}

internal sealed class BadParameterException(string message) : Exception(message);
