using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Rotator.Admin;
using Rotator.Tests.Fakes;

namespace Rotator.Tests.Admin;

public sealed class AdminApiErrorTests
{
    [Fact]
    public async Task ProblemOnException_UnhandledException_500ProblemWithoutItsText()
    {
        var loggers = new ListLoggerFactory();
        var services = new ServiceCollection().AddOptions().AddSingleton<ILoggerFactory>(loggers).AddProblemDetails().BuildServiceProvider();
        var body = new MemoryStream();
        var http = new DefaultHttpContext { RequestServices = services };
        http.Response.Body = body;
        http.Request.Method = "GET";
        http.Request.Path = "/keys";

        await AdminApi.ProblemOnExceptionAsync(http, _ => throw new InvalidOperationException("sk_live_leaked-in-a-message"));

        var text = System.Text.Encoding.UTF8.GetString(body.ToArray());
        Assert.Equal(StatusCodes.Status500InternalServerError, http.Response.StatusCode);
        Assert.Contains("\"status\":500", text, StringComparison.Ordinal);
        Assert.DoesNotContain("leaked", text, StringComparison.Ordinal);
        Assert.Contains(loggers.Lines, l => l.Contains("InvalidOperationException", StringComparison.Ordinal));
        Assert.DoesNotContain(loggers.Lines, l => l.Contains("leaked", StringComparison.Ordinal));
    }
}
