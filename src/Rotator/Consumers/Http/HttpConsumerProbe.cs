using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Rotator.Client;
using Rotator.Configuration;

namespace Rotator.Consumers.Http;

/// <summary>
/// Asks every address of every probe's host for the fingerprints it reports (DESIGN.md, "Gates: what counts
/// as evidence"). Anything short of a well-formed answer is an observation with an error, never an exception.
/// </summary>
internal sealed partial class HttpConsumerProbe : IConsumerProbe
{
    // A probe answer is a few fingerprints; more than this is not a probe answer.
    private const int MaxAnswerBytes = 64 * 1024;

    private readonly HttpClient http;
    private readonly IAddressResolver resolver;
    private readonly ILogger logger;
    private readonly TimeProvider time;

    /// <param name="time">The clock each address's <see cref="ProbeOptions.Timeout"/> runs on.</param>
    public HttpConsumerProbe(HttpClient http, IAddressResolver resolver, ILogger logger, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(resolver);
        ArgumentNullException.ThrowIfNull(logger);
        ArgumentNullException.ThrowIfNull(time);
        this.http = http;
        this.resolver = resolver;
        this.logger = logger;
        this.time = time;
    }

    public async Task<IReadOnlyList<ProbeObservation>> PollAsync(IReadOnlyList<ProbeOptions> probes, ProbeRole role, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(probes);
        var perProbe = await Task.WhenAll(probes.Select(probe => PollOneAsync(probe, role, cancellationToken)));
        return [.. perProbe.SelectMany(observations => observations)];
    }

    private async Task<IReadOnlyList<ProbeObservation>> PollOneAsync(ProbeOptions probe, ProbeRole role, CancellationToken cancellationToken)
    {
        var url = probe.Url;
        var target = url?.OriginalString ?? "";
        if (url is null || !url.IsAbsoluteUri || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
        {
            return [Fail(target, "", "the probe has no absolute http(s) URL")];
        }

        var observations = new List<ProbeObservation>();
        IReadOnlyList<IPAddress> addresses;
        var resolveError = "";
        try
        {
            addresses = await ResolveAsync(url, cancellationToken);
        }
        catch (Exception ex) when (ex is SocketException or ArgumentException && !cancellationToken.IsCancellationRequested)
        {
            addresses = [];
            resolveError = $" ({(ex as SocketException)?.SocketErrorCode.ToString() ?? "invalid host name"})";
        }

        // Zero addresses is never "everyone switched": at least one must answer.
        var minAddresses = Math.Max(1, probe.MinAddresses);
        if (addresses.Count < minAddresses)
        {
            observations.Add(Fail(target, "", $"resolved to {addresses.Count} address(es), fewer than minAddresses {minAddresses}{resolveError}"));
        }

        var answers = await Task.WhenAll(addresses.Select(address => AskAsync(probe, url, target, address, role, cancellationToken)));
        observations.AddRange(answers);
        return observations;
    }

    private async Task<IReadOnlyList<IPAddress>> ResolveAsync(Uri url, CancellationToken cancellationToken)
    {
        // IdnHost drops the brackets of an IPv6 literal.
        var host = url.IdnHost;
        if (IPAddress.TryParse(host, out var literal))
        {
            return [literal];
        }

        var resolved = await resolver.ResolveAsync(host, cancellationToken);
        return [.. resolved.Distinct()];
    }

    private async Task<ProbeObservation> AskAsync(ProbeOptions probe, Uri url, string target, IPAddress address, ProbeRole role, CancellationToken cancellationToken)
    {
        var addressText = address.ToString();
        var direct = new UriBuilder(url)
        {
            Host = address.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{addressText}]" : addressText,
        }.Uri;

        using var request = new HttpRequestMessage(HttpMethod.Get, direct);

        // The replica sees the name it serves (virtual hosts, and TLS through SNI, which follows the Host header).
        request.Headers.Host = url.IsDefaultPort
            ? HostForHeader(url)
            : $"{HostForHeader(url)}:{url.Port.ToString(CultureInfo.InvariantCulture)}";

        var timeout = probe.Timeout > TimeSpan.Zero ? probe.Timeout : Timeout.InfiniteTimeSpan;
        using var timer = new CancellationTokenSource(timeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timer.Token);
        ProbeObservation observation;
        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, linked.Token);
            if (!response.IsSuccessStatusCode)
            {
                observation = Fail(target, addressText, $"answered {(int)response.StatusCode}");
            }
            else
            {
                var body = await ReadLimitedAsync(response.Content, linked.Token);
                observation = body is null
                    ? Fail(target, addressText, $"answered more than {MaxAnswerBytes} bytes")
                    : Interpret(target, addressText, body, role);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            observation = Fail(target, addressText, $"did not answer within {timeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)}s");
        }
        catch (HttpRequestException ex)
        {
            observation = Fail(target, addressText, $"did not answer ({ex.HttpRequestError})");
        }

        if (observation.Error is null)
        {
            LogReported(logger, target, addressText, string.Join(",", observation.Fingerprints));
        }
        else
        {
            LogNotAnswered(logger, target, addressText, observation.Error);
        }

        return observation;
    }

    /// <summary>The error texts are fixed: nothing a consumer sends is quoted, so it cannot write into logs.</summary>
    private static ProbeObservation Interpret(string target, string address, byte[] body, ProbeRole role)
    {
        try
        {
            if (role == ProbeRole.Consumer)
            {
                var report = JsonSerializer.Deserialize<ConsumerReport>(body);
                if (report is null)
                {
                    return Fail(target, address, "answered null instead of a consumer report");
                }

                if (string.IsNullOrEmpty(report.Fingerprint))
                {
                    return Fail(target, address, "has not sent a key yet");
                }

                return IsFingerprint(report.Fingerprint)
                    ? new ProbeObservation(target, address, [report.Fingerprint], null)
                    : Fail(target, address, "reported a fingerprint that is not 16 lowercase hex characters");
            }

            var verifier = JsonSerializer.Deserialize<VerifierReport>(body);
            if (verifier?.Accepts is null)
            {
                return Fail(target, address, "answered without an accepts list");
            }

            return verifier.Accepts.All(IsFingerprint)
                ? new ProbeObservation(target, address, [.. verifier.Accepts.Distinct()], null)
                : Fail(target, address, "reported an accepted fingerprint that is not 16 lowercase hex characters");
        }
        catch (JsonException)
        {
            return Fail(target, address, "answered something that is not a probe report (JSON)");
        }
    }

    internal static bool IsFingerprint(string? value) =>
        value is { Length: 16 } && value.All(c => c is (>= '0' and <= '9') or (>= 'a' and <= 'f'));

    private static async Task<byte[]?> ReadLimitedAsync(HttpContent content, CancellationToken cancellationToken)
    {
        await using var stream = await content.ReadAsStreamAsync(cancellationToken);
        using var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while ((read = await stream.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > MaxAnswerBytes)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    private static string HostForHeader(Uri url) =>
        url.HostNameType == UriHostNameType.IPv6 ? $"[{url.IdnHost}]" : url.IdnHost;

    private static ProbeObservation Fail(string target, string address, string error) => new(target, address, [], error);

    [LoggerMessage(EventId = 101, Level = LogLevel.Debug, Message = "Probe {Target} at {Address} reports {Fingerprints}")]
    private static partial void LogReported(ILogger logger, string target, string address, string fingerprints);

    [LoggerMessage(EventId = 102, Level = LogLevel.Debug, Message = "Probe {Target} at {Address}: {Error}")]
    private static partial void LogNotAnswered(ILogger logger, string target, string address, string error);
}
