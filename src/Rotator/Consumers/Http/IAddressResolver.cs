using System.Net;

namespace Rotator.Consumers.Http;

/// <summary>Resolves a host name to every address it has, so that every replica behind it can be asked.</summary>
internal interface IAddressResolver
{
    Task<IReadOnlyList<IPAddress>> ResolveAsync(string host, CancellationToken cancellationToken);
}

/// <summary>The system resolver; an IP literal resolves to itself.</summary>
internal sealed class DnsAddressResolver : IAddressResolver
{
    public async Task<IReadOnlyList<IPAddress>> ResolveAsync(string host, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(host);
        if (IPAddress.TryParse(host.Trim('[', ']'), out var literal))
        {
            return [literal];
        }

        return await Dns.GetHostAddressesAsync(host, cancellationToken);
    }
}
