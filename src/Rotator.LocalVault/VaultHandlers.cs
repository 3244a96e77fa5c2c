using System.Buffers.Text;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;

namespace Rotator.LocalVault;

/// <summary>The request pipeline: authentication, faults, then the secrets and deleted-secrets endpoints.</summary>
internal sealed partial class VaultHandlers(
    LocalVaultServer server,
    VaultStore store,
    VaultTokens tokens,
    TimeProvider time,
    ILogger logger)
{
    public const int MaxValueLength = 25 * 1024;
    public const int MaxTags = 15;
    public const int MaxTagLength = 512;
    public const int MaxPageSize = 25;

    // What Key Vault answers to a request without a token; the SDK reads authorization and resource from it.
    private const string Challenge =
        "Bearer authorization=\"https://login.microsoftonline.com/00000000-0000-0000-0000-000000000000\", resource=\"https://vault.azure.net\"";

    private const string GrantKey = "Rotator.LocalVault.Grant";
    private const string FaultKey = "Rotator.LocalVault.Fault";

    [GeneratedRegex("^[0-9a-zA-Z-]{1,127}$")]
    private static partial Regex NamePattern();

    public void Map(IEndpointRouteBuilder routes)
    {
        routes.MapMethods("/secrets", [HttpMethods.Get], ListSecretsAsync);
        routes.MapMethods("/secrets/{name}", [HttpMethods.Get], GetAsync);
        routes.MapMethods("/secrets/{name}", [HttpMethods.Put], SetAsync);
        routes.MapMethods("/secrets/{name}", [HttpMethods.Patch], UpdateAsync);
        routes.MapMethods("/secrets/{name}", [HttpMethods.Delete], DeleteAsync);
        routes.MapMethods("/secrets/{name}/versions", [HttpMethods.Get], ListVersionsAsync);
        routes.MapMethods("/secrets/{name}/{version}", [HttpMethods.Get], GetAsync);
        routes.MapMethods("/secrets/{name}/{version}", [HttpMethods.Patch], UpdateAsync);
        routes.MapMethods("/deletedsecrets", [HttpMethods.Get], ListDeletedAsync);
        routes.MapMethods("/deletedsecrets/{name}", [HttpMethods.Get], GetDeletedAsync);
        routes.MapMethods("/deletedsecrets/{name}", [HttpMethods.Delete], PurgeAsync);
        routes.MapMethods("/deletedsecrets/{name}/recover", [HttpMethods.Post], RecoverAsync);
    }

    /// <summary>Runs before routing's endpoint: no token, no state change, not even a look at the body.</summary>
    public async Task AuthenticateAsync(HttpContext context, RequestDelegate next)
    {
        var grant = tokens.Authenticate(context.Request.Headers.Authorization);
        if (grant is null)
        {
            Log.Unauthenticated(logger, context.Request.Method, context.Request.Path);
            context.Response.Headers.WWWAuthenticate = Challenge;
            await WriteErrorAsync(context, StatusCodes.Status401Unauthorized, "Unauthorized", "AKV10000: Request is missing a Bearer or PoP token, or it is not valid.");
            return;
        }

        if (!context.Request.Query.ContainsKey("api-version"))
        {
            await WriteErrorAsync(context, StatusCodes.Status400BadRequest, "BadParameter", "The 'api-version' query parameter is missing.");
            return;
        }

        context.Items[GrantKey] = grant;
        var method = context.Request.Method;
        var isWrite = HttpMethods.IsPut(method) || HttpMethods.IsPatch(method) || HttpMethods.IsDelete(method) || HttpMethods.IsPost(method);
        if (server.Faults.Draw(isWrite) is { } fault)
        {
            Log.FaultInjected(logger, fault.Kind, context.Request.Method, context.Request.Path);
            switch (fault.Kind)
            {
                case LocalVaultFaultKind.Throttle:
                    if (fault.RetryAfter is { } retryAfter)
                    {
                        context.Response.Headers.RetryAfter = ((long)Math.Ceiling(retryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
                    }

                    await WriteErrorAsync(context, StatusCodes.Status429TooManyRequests, "Throttled", "Request was not processed because too many requests were received. Reason: injected fault.");
                    return;
                case LocalVaultFaultKind.Unavailable:
                    await WriteErrorAsync(context, StatusCodes.Status503ServiceUnavailable, "ServiceUnavailable", "The service is temporarily unavailable (injected fault).");
                    return;
                case LocalVaultFaultKind.Delay:
                    using (var linked = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, server.Stopping))
                    {
                        await Task.Delay(fault.Delay, time, linked.Token);
                    }

                    break;
                default:
                    // Commit faults act after the write is applied; the write handler picks this up.
                    context.Items[FaultKey] = fault;
                    break;
            }
        }

        await next(context);
    }

    private async Task GetAsync(HttpContext context)
    {
        if (!await AllowedAsync(context, LocalVaultPermission.Get) || await NameAsync(context) is not { } name)
        {
            return;
        }

        var version = context.Request.RouteValues["version"] as string;
        if (store.Get(name, version) is not var (storedName, stored))
        {
            await NotFoundAsync(context, name, version);
            return;
        }

        if (!stored.Enabled)
        {
            await WriteErrorAsync(context, StatusCodes.Status403Forbidden, "Forbidden", "Operation get is not allowed on a disabled secret.", "SecretDisabled");
            return;
        }

        await WriteJsonAsync(context, StatusCodes.Status200OK, VaultJson.Bundle(BaseUri(context), storedName, stored, includeValue: true));
    }

    private async Task SetAsync(HttpContext context)
    {
        if (!await AllowedAsync(context, LocalVaultPermission.Set) || await NameAsync(context) is not { } name
            || await BodyAsync(context) is not { } request)
        {
            return;
        }

        if (!request.HasValue)
        {
            await BadParameterAsync(context, "Property 'value' is required.");
            return;
        }

        if (request.Value!.Length > MaxValueLength)
        {
            await BadParameterAsync(context, $"The secret value is {request.Value.Length} characters long; at most {MaxValueLength} are allowed.");
            return;
        }

        var tags = request.Tags ?? new Dictionary<string, string>(StringComparer.Ordinal);
        if (TagProblem(tags) is { } problem)
        {
            await BadParameterAsync(context, problem);
            return;
        }

        if (store.Add(name, request.Value, request.ContentType, request.Attributes, tags) is not var (storedName, stored))
        {
            await WriteErrorAsync(
                context,
                StatusCodes.Status409Conflict,
                "Conflict",
                $"Secret {name} is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the secret can only be recovered or purged.",
                "ObjectIsDeletedButRecoverable");
            return;
        }

        if (await CommittedAsync(context, LocalVaultWriteOperation.Set, storedName, stored))
        {
            await WriteJsonAsync(context, StatusCodes.Status200OK, VaultJson.Bundle(BaseUri(context), storedName, stored, includeValue: true));
        }
    }

    private async Task UpdateAsync(HttpContext context)
    {
        if (!await AllowedAsync(context, LocalVaultPermission.Update) || await NameAsync(context) is not { } name
            || await BodyAsync(context) is not { } request)
        {
            return;
        }

        if (request.Tags is { } tags && TagProblem(tags) is { } problem)
        {
            await BadParameterAsync(context, problem);
            return;
        }

        var version = context.Request.RouteValues["version"] as string;
        if (store.Update(name, version, request.ContentType, request.Attributes, request.Tags) is not var (storedName, stored))
        {
            await NotFoundAsync(context, name, version);
            return;
        }

        if (await CommittedAsync(context, LocalVaultWriteOperation.Update, storedName, stored))
        {
            await WriteJsonAsync(context, StatusCodes.Status200OK, VaultJson.Bundle(BaseUri(context), storedName, stored, includeValue: false));
        }
    }

    private async Task ListVersionsAsync(HttpContext context)
    {
        if (!await AllowedAsync(context, LocalVaultPermission.List) || await NameAsync(context) is not { } name
            || await PagingAsync(context) is not var (after, max))
        {
            return;
        }

        if (store.ListVersions(name, after, max) is not var (storedName, page, more))
        {
            // A deleted secret has no versions to list until it is recovered.
            await NotFoundAsync(context, name, version: null);
            return;
        }

        var next = more ? NextLink(context, $"secrets/{storedName}/versions", page[^1].Id, max) : null;
        await WriteJsonAsync(context, StatusCodes.Status200OK, VaultJson.Page(page.Select(v => (storedName, v)), BaseUri(context), next));
    }

    private async Task ListSecretsAsync(HttpContext context)
    {
        if (!await AllowedAsync(context, LocalVaultPermission.List) || await PagingAsync(context) is not var (after, max))
        {
            return;
        }

        var (page, more) = store.ListSecrets(after, max);
        var next = more ? NextLink(context, "secrets", VaultStore.Normalize(page[^1].Name), max) : null;
        await WriteJsonAsync(context, StatusCodes.Status200OK, VaultJson.Page(page, BaseUri(context), next));
    }

    private async Task DeleteAsync(HttpContext context)
    {
        if (!await AllowedAsync(context, LocalVaultPermission.Delete) || await NameAsync(context) is not { } name)
        {
            return;
        }

        if (store.Delete(name) is not { } deleted)
        {
            await NotFoundAsync(context, name, version: null);
            return;
        }

        if (await CommittedAsync(context, LocalVaultWriteOperation.Delete, deleted.Name, deleted.Latest))
        {
            await WriteJsonAsync(context, StatusCodes.Status200OK, VaultJson.DeletedBundle(BaseUri(context), deleted));
        }
    }

    private async Task GetDeletedAsync(HttpContext context)
    {
        if (!await AllowedAsync(context, LocalVaultPermission.Get) || await NameAsync(context) is not { } name)
        {
            return;
        }

        if (store.GetDeleted(name) is not { } deleted)
        {
            await DeletedNotFoundAsync(context, name);
            return;
        }

        await WriteJsonAsync(context, StatusCodes.Status200OK, VaultJson.DeletedBundle(BaseUri(context), deleted));
    }

    private async Task ListDeletedAsync(HttpContext context)
    {
        if (!await AllowedAsync(context, LocalVaultPermission.List) || await PagingAsync(context) is not var (after, max))
        {
            return;
        }

        var (page, more) = store.ListDeleted(after, max);
        var next = more ? NextLink(context, "deletedsecrets", VaultStore.Normalize(page[^1].Name), max) : null;
        await WriteJsonAsync(context, StatusCodes.Status200OK, VaultJson.DeletedPage(page, BaseUri(context), next));
    }

    private async Task RecoverAsync(HttpContext context)
    {
        if (!await AllowedAsync(context, LocalVaultPermission.Recover) || await NameAsync(context) is not { } name)
        {
            return;
        }

        if (store.Recover(name) is not var (storedName, stored))
        {
            await DeletedNotFoundAsync(context, name);
            return;
        }

        if (await CommittedAsync(context, LocalVaultWriteOperation.Recover, storedName, stored))
        {
            await WriteJsonAsync(context, StatusCodes.Status200OK, VaultJson.Bundle(BaseUri(context), storedName, stored, includeValue: false));
        }
    }

    private async Task PurgeAsync(HttpContext context)
    {
        if (!await AllowedAsync(context, LocalVaultPermission.Purge) || await NameAsync(context) is not { } name)
        {
            return;
        }

        if (store.Purge(name) is not { } purged)
        {
            await DeletedNotFoundAsync(context, name);
            return;
        }

        if (await CommittedAsync(context, LocalVaultWriteOperation.Purge, purged.Name, purged.Latest))
        {
            context.Response.StatusCode = StatusCodes.Status204NoContent;
        }
    }

    /// <summary>Runs the commit hook and any commit fault; false when the response must not be the normal one.</summary>
    private async Task<bool> CommittedAsync(HttpContext context, LocalVaultWriteOperation operation, string name, StoredVersion stored)
    {
        Log.Committed(logger, operation, name, stored.Id);
        using (var linked = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, server.Stopping))
        {
            await server.OnCommittedAsync(new LocalVaultWrite(operation, name, stored.Id, stored.Tags), linked.Token);
        }

        switch ((context.Items[FaultKey] as LocalVaultFault)?.Kind)
        {
            case LocalVaultFaultKind.CommitThenUnavailable:
                await WriteErrorAsync(context, StatusCodes.Status503ServiceUnavailable, "ServiceUnavailable", "The service is temporarily unavailable (injected fault).");
                return false;
            case LocalVaultFaultKind.CommitThenAbort:
                context.Abort();
                return false;
            default:
                return true;
        }
    }

    private async Task<bool> AllowedAsync(HttpContext context, LocalVaultPermission permission)
    {
        var grant = (VaultTokens.Grant)context.Items[GrantKey]!;
        if (grant.Permissions.Contains(permission))
        {
            return true;
        }

        Log.Forbidden(logger, context.Request.Method, context.Request.Path, grant.Name, permission);
        var verb = permission.ToString().ToLowerInvariant();
        await WriteErrorAsync(
            context,
            StatusCodes.Status403Forbidden,
            "Forbidden",
            $"The user, group or application 'appid=local;oid=token:{grant.Name}' does not have secrets {verb} permission on key vault 'local-vault'. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125287",
            "AccessDenied");
        return false;
    }

    private static async Task<string?> NameAsync(HttpContext context)
    {
        var name = context.Request.RouteValues["name"] as string ?? string.Empty;
        if (NamePattern().IsMatch(name))
        {
            return name;
        }

        await BadParameterAsync(context, "The request URI contains an invalid name: secret names match ^[0-9a-zA-Z-]{1,127}$.");
        return null;
    }

    private static async Task<SecretRequest?> BodyAsync(HttpContext context)
    {
        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer, context.RequestAborted);
        try
        {
            return SecretRequest.Parse(buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
        }
        catch (BadParameterException e)
        {
            await BadParameterAsync(context, e.Message);
            return null;
        }
    }

    private static async Task<(string? After, int Max)?> PagingAsync(HttpContext context)
    {
        var max = MaxPageSize;
        if (context.Request.Query["maxresults"] is { Count: > 0 } maxText
            && (!int.TryParse(maxText[0], out max) || max is < 1 or > MaxPageSize))
        {
            await BadParameterAsync(context, $"maxresults must be between 1 and {MaxPageSize}.");
            return null;
        }

        string? after = null;
        if (context.Request.Query["$skiptoken"] is { Count: > 0 } skip)
        {
            try
            {
                after = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(skip[0]));
            }
            catch (FormatException)
            {
                await BadParameterAsync(context, "The $skiptoken is not valid.");
                return null;
            }
        }

        return (after, max);
    }

    private static string? TagProblem(Dictionary<string, string> tags)
    {
        if (tags.Count > MaxTags)
        {
            return $"A secret version may have at most {MaxTags} tags; {tags.Count} were given.";
        }

        foreach (var (key, value) in tags)
        {
            if (key.Length is 0 or > MaxTagLength)
            {
                return $"Tag names must be 1 to {MaxTagLength} characters long.";
            }

            if (value.Length > MaxTagLength)
            {
                return $"The value of tag '{key}' is longer than {MaxTagLength} characters.";
            }
        }

        return null;
    }

    /// <summary>An absolute link the SDK follows as it is.</summary>
    private static string NextLink(HttpContext context, string path, string last, int max)
    {
        var apiVersion = Uri.EscapeDataString(context.Request.Query["api-version"].ToString());
        var token = Base64Url.EncodeToString(Encoding.UTF8.GetBytes(last));
        return $"{BaseUri(context)}{path}?api-version={apiVersion}&$skiptoken={token}&maxresults={max}";
    }

    private static string BaseUri(HttpContext context) => $"{context.Request.Scheme}://{context.Request.Host}/";

    private static Task NotFoundAsync(HttpContext context, string name, string? version) =>
        WriteErrorAsync(
            context,
            StatusCodes.Status404NotFound,
            "SecretNotFound",
            $"A secret with (name/id) {(string.IsNullOrEmpty(version) ? name : $"{name}/{version}")} was not found in this key vault. If you recently deleted this secret you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182");

    private static Task DeletedNotFoundAsync(HttpContext context, string name) =>
        WriteErrorAsync(context, StatusCodes.Status404NotFound, "SecretNotFound", $"Deleted Secret not found: {name}");

    private static Task BadParameterAsync(HttpContext context, string message) =>
        WriteErrorAsync(context, StatusCodes.Status400BadRequest, "BadParameter", message);

    private static Task WriteErrorAsync(HttpContext context, int status, string code, string message, string? innerCode = null) =>
        WriteJsonAsync(context, status, VaultJson.Error(code, message, innerCode));

    private static async Task WriteJsonAsync(HttpContext context, int status, byte[] body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=utf-8";
        context.Response.ContentLength = body.Length;
        await context.Response.Body.WriteAsync(body, context.RequestAborted);
    }
}
