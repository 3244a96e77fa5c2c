using System.Net;
using System.Text;
using System.Text.Json;

namespace Rotator.IntegrationTests;

/// <summary>Searches text for a key in every encoding it could leak in.</summary>
internal static class Secrets
{
    public static IEnumerable<string> Forms(string key)
    {
        yield return key;
        yield return JsonSerializer.Serialize(key).Trim('"');
        yield return Uri.EscapeDataString(key);
        yield return WebUtility.UrlEncode(key);
        yield return Convert.ToBase64String(Encoding.UTF8.GetBytes(key));
        yield return Convert.ToBase64String(Encoding.UTF8.GetBytes(key)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        for (var i = 0; i + 12 <= key.Length; i += 4)
        {
            yield return key.Substring(i, 12);
        }
    }

    public static void AssertAbsent(IEnumerable<string> keys, string text)
    {
        foreach (var key in keys)
        {
            foreach (var form in Forms(key).Distinct())
            {
                Assert.False(text.Contains(form, StringComparison.Ordinal), $"a key (fingerprint {Client.Fingerprint.Of(key)}) appears in the output as '{form[..4]}…'");
            }
        }
    }
}
