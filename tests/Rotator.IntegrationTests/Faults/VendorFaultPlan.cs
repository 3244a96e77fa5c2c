using Rotator.Demo;

namespace Rotator.IntegrationTests.Faults;

/// <summary>
/// Makes the sample vendor fail a seeded share of its creates and revokes. The vendor's switches are queues, so the
/// plan queues runs of faults: after each clean commit it draws how many of the following calls fail (a geometric
/// count: each call fails with the probability, independently), which is the same sequence a per-call coin gives.
/// For <see cref="Delay"/> faults the vendor commits and then holds its answer beyond the issuer's timeout.
/// </summary>
internal sealed class VendorFaultPlan
{
    private static readonly VendorOperation[] Operations = [VendorOperation.Create, VendorOperation.Revoke];

    private readonly SampleVendor vendor;
    private readonly VendorFault? fault;
    private readonly double probability;
    private readonly Random random;
    private readonly TimeSpan delay;
    private readonly Lock gate = new();
    private readonly Dictionary<VendorOperation, int> planned = [];
    private readonly Dictionary<VendorOperation, int> faultedCommitsDue = [];
    private readonly Dictionary<VendorOperation, int> delayed = [];
    private bool active;

    private VendorFaultPlan(SampleVendor vendor, VendorFault? fault, double probability, int seed, TimeSpan delay)
    {
        this.vendor = vendor;
        this.fault = fault;
        this.probability = probability;
        this.delay = delay;
        random = new Random(seed);
        foreach (var operation in Operations)
        {
            planned[operation] = 0;
            faultedCommitsDue[operation] = 0;
            delayed[operation] = 0;
        }

        var inner = vendor.AfterCommit;
        vendor.AfterCommit = async (write, ct) =>
        {
            if (inner is not null)
            {
                await inner(write, ct);
            }

            Committed(write);
        };
    }

    /// <summary>The fault's name in reports.</summary>
    public string Kind => fault?.ToString() ?? nameof(Delay);

    /// <summary>Starts failing creates and revokes with <paramref name="fault"/> at <paramref name="probability"/>.</summary>
    public static VendorFaultPlan Fail(SampleVendor vendor, VendorFault fault, double probability, int seed)
    {
        var plan = new VendorFaultPlan(vendor, fault, probability, seed, TimeSpan.Zero);
        plan.Start();
        return plan;
    }

    /// <summary>Starts holding the answers of committed creates and revokes for <paramref name="delay"/> at <paramref name="probability"/>.</summary>
    public static VendorFaultPlan Delay(SampleVendor vendor, TimeSpan delay, double probability, int seed)
    {
        var plan = new VendorFaultPlan(vendor, null, probability, seed, delay);
        plan.Start();
        return plan;
    }

    /// <summary>Faults that reached a request so far, per operation (queued ones not yet reached are not counted).</summary>
    public int Injected(VendorOperation operation)
    {
        lock (gate)
        {
            return fault is null ? delayed[operation] : planned[operation] - vendor.Faults.Pending(operation);
        }
    }

    public int InjectedTotal => Operations.Sum(Injected);

    /// <summary>Stops injecting: what is queued is dropped and any delay ends.</summary>
    public void Stop()
    {
        lock (gate)
        {
            foreach (var operation in Operations)
            {
                planned[operation] -= vendor.Faults.Pending(operation);
            }

            active = false;
            vendor.Faults.Clear();
        }
    }

    private void Start()
    {
        lock (gate)
        {
            active = true;
            foreach (var operation in Operations)
            {
                PlanRunLocked(operation);
            }
        }
    }

    private void Committed(VendorWrite write)
    {
        if (!Operations.Contains(write.Operation))
        {
            return;
        }

        lock (gate)
        {
            if (!active)
            {
                return;
            }

            if (fault is null)
            {
                // Read by the vendor right after this hook returns: this one answer is held.
                if (random.NextDouble() < probability)
                {
                    delayed[write.Operation]++;
                    vendor.Faults.Delay = delay;
                    _ = EndDelayAsync();
                }

                return;
            }

            if (faultedCommitsDue[write.Operation] > 0)
            {
                // A fault that commits before it fails: part of the current run, not the clean call that ends it.
                faultedCommitsDue[write.Operation]--;
                return;
            }

            PlanRunLocked(write.Operation);
        }
    }

    private void PlanRunLocked(VendorOperation operation)
    {
        if (fault is not { } kind)
        {
            return;
        }

        var run = 0;
        while (random.NextDouble() < probability)
        {
            run++;
        }

        if (run == 0)
        {
            return;
        }

        vendor.Faults.Inject(operation, kind, run);
        planned[operation] += run;
        if (kind != VendorFault.Unavailable)
        {
            faultedCommitsDue[operation] += run;
        }
    }

    private async Task EndDelayAsync()
    {
        // Long enough for the vendor to have read it for the answer in hand, far shorter than the issuer's timeout and
        // backoff, so the next request is answered at once.
        await Task.Delay(TimeSpan.FromMilliseconds(100), TimeProvider.System);
        vendor.Faults.Delay = TimeSpan.Zero;
    }
}
