using System.Globalization;
using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace Rotator.Admin;

/// <summary>
/// The <c>ApiKey</c> scheme: the <c>x-api-key</c> header must hold a current admin key (its SHA-256 is in that admin
/// secret's <c>-accepted</c>). The key's name becomes the user's name and its role the user's role. Failed attempts
/// are limited per client address and logged with the address and the key's length only.
/// </summary>
internal sealed partial class ApiKeyHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory loggers,
    UrlEncoder encoder,
    AdminKeyCache cache,
    FailureLimiter limiter,
    IProblemDetailsService problems) : AuthenticationHandler<AuthenticationSchemeOptions>(options, loggers, encoder)
{
    public const string SchemeName = "ApiKey";

    private const string RetryAfterItem = "rotator.admin.retry-after";

    private string ClientAddress => Context.Connection.RemoteIpAddress?.ToString() ?? "unknown";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!Request.Headers.TryGetValue(AdminRoutes.ApiKeyHeader, out var values) || values.Count == 0 || string.IsNullOrEmpty(values[0]))
        {
            return AuthenticateResult.NoResult();
        }

        var address = ClientAddress;
        if (limiter.IsLimited(address, out var retryAfter))
        {
            Context.Items[RetryAfterItem] = retryAfter;
            LogLimited(Logger, address);
            return AuthenticateResult.Fail("Too many failed attempts from this address.");
        }

        var presented = values.Count == 1 ? values[0]! : "";
        var admin = presented.Length == 0 ? null : await cache.AuthenticateAsync(presented, Context.RequestAborted);
        if (admin is null)
        {
            var limited = limiter.RecordFailure(address);
            LogRejected(Logger, address, presented.Length, limited);
            return AuthenticateResult.Fail("The API key is not accepted.");
        }

        var identity = new ClaimsIdentity(
            [new Claim(ClaimTypes.Name, admin.Name), new Claim(ClaimTypes.Role, admin.Role.ToString())],
            SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        if (Context.Items[RetryAfterItem] is TimeSpan retryAfter)
        {
            var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
            Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
            await WriteAsync(StatusCodes.Status429TooManyRequests, "Too many failed attempts",
                $"Too many requests with a wrong API key came from this address; try again in {seconds} s with a current key from the vault.");
            return;
        }

        Response.Headers.WWWAuthenticate = $"{SchemeName} header=\"{AdminRoutes.ApiKeyHeader}\"";
        await WriteAsync(StatusCodes.Status401Unauthorized, "Unauthorized",
            $"Send a current admin API key in the '{AdminRoutes.ApiKeyHeader}' header; read it from the admin key's vault secret (keys rotate, so read it each time).");
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        WriteAsync(StatusCodes.Status403Forbidden, "Forbidden",
            $"The admin key '{Context.User.Identity?.Name}' is a {Context.User.FindFirstValue(ClaimTypes.Role)} key; this action needs an Operator key.");

    private async Task WriteAsync(int status, string title, string detail)
    {
        Response.StatusCode = status;
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = Context,
            ProblemDetails = new ProblemDetails { Status = status, Title = title, Detail = detail },
        });
    }

    [LoggerMessage(EventId = 720, Level = LogLevel.Warning, Message = "Admin API: a request from {Address} presented an API key of {Length} characters that is not accepted{Limited}")]
    private static partial void LogRejectedCore(ILogger logger, string address, int length, string limited);

    private static void LogRejected(ILogger logger, string address, int length, bool limited) =>
        LogRejectedCore(logger, address, length, limited ? "; further attempts from this address are refused for a while" : "");

    [LoggerMessage(EventId = 721, Level = LogLevel.Warning, Message = "Admin API: refused a request from {Address}: too many failed attempts")]
    private static partial void LogLimited(ILogger logger, string address);
}
