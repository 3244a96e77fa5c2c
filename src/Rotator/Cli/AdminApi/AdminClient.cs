using System.Text;
using Rotator.Admin;

namespace Rotator.Cli.AdminApi;

/// <summary>An answer from the admin API: its status and body, whatever the status.</summary>
internal sealed record AdminReply(int Status, string Body)
{
    public bool Succeeded => Status is >= 200 and < 300;
}

/// <summary>The admin API could not be reached at all: refused, timed out, not HTTP.</summary>
internal sealed class AdminUnreachableException(string message, Exception? inner) : Exception(message, inner);

/// <summary>Calls the worker's admin API with the key in <c>x-api-key</c>. The key goes into the header and nowhere else.</summary>
internal sealed class AdminClient(HttpClient http, AdminConnection connection)
{
    public async Task<AdminReply> SendAsync(HttpMethod method, string route, IReadOnlyList<(string Name, string Value)> query, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, Address(connection.Url, route, query));
        request.Headers.TryAddWithoutValidation(AdminRoutes.ApiKeyHeader, connection.ApiKey);
        try
        {
            using var response = await http.SendAsync(request, cancellationToken);
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            return new AdminReply((int)response.StatusCode, body);
        }
        catch (HttpRequestException e)
        {
            throw new AdminUnreachableException($"cannot reach the worker at {connection.Url} ({e.HttpRequestError})", e);
        }
        catch (TaskCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new AdminUnreachableException($"the worker at {connection.Url} did not answer within {http.Timeout.TotalSeconds:0} s", e);
        }
    }

    /// <summary>The route under the base URL (which may carry a path prefix, behind a proxy), with the query URL-encoded.</summary>
    public static Uri Address(Uri baseUrl, string route, IReadOnlyList<(string Name, string Value)> query)
    {
        var root = baseUrl.AbsoluteUri.EndsWith('/') ? baseUrl : new Uri(baseUrl.AbsoluteUri + "/");
        var text = new StringBuilder(route.TrimStart('/'));
        for (var i = 0; i < query.Count; i++)
        {
            text.Append(i == 0 ? '?' : '&').Append(Uri.EscapeDataString(query[i].Name)).Append('=').Append(Uri.EscapeDataString(query[i].Value));
        }

        return new Uri(root, text.ToString());
    }
}
