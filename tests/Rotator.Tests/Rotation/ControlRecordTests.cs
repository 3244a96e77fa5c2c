using Rotator.Rotation;

namespace Rotator.Tests.Rotation;

public sealed class ControlRecordTests
{
    [Fact]
    public void ToTags_FromTags_RoundTripsEveryField()
    {
        var record = new ControlRecord
        {
            Phase = Phase.RollingOut,
            RotationId = "r20260101000000-abcd1234",
            Trigger = RotationTrigger.Manual,
            Actor = "alice",
            Attempts = 3,
            PhaseSince = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero),
            NewKey = new KeyRef("00112233445566aa", "key_2"),
            OldKey = new KeyRef("ffeeddccbbaa9988", null),
            LastCompleted = new DateTimeOffset(2025, 12, 1, 0, 0, 0, TimeSpan.Zero),
            Error = "vault answered 503",
            Paused = true,
            Lease = new Lease("host-1", new DateTimeOffset(2026, 1, 1, 0, 5, 0, TimeSpan.Zero)),
            Emergency = Suspect.All,
            EmergencySince = new DateTimeOffset(2026, 1, 1, 0, 1, 0, TimeSpan.Zero),
            Forced = true,
            Suspects = [new KeyRef("0011223344556677", "key_1"), new KeyRef("8899aabbccddeeff", null)],
            Held = Phase.Minted,
            Note = "Abort by alice: wrong account",
        };

        var read = ControlRecord.FromTags(record.ToTags());

        Assert.Equal(record.Suspects, read.Suspects);
        Assert.Equal(record, read with { Suspects = record.Suspects });
    }

    [Fact]
    public void ToTags_StaysWithinKeyVaultLimits()
    {
        var record = new ControlRecord { Error = new string('x', 2000), RotationId = "r1", Actor = "a", NewKey = new("a", "b"), OldKey = new("c", "d") };

        var tags = record.ToTags();

        Assert.True(tags.Count <= 15);
        Assert.All(tags, t => Assert.True(t.Key.Length <= 512 && t.Value.Length <= ControlRecord.MaxTextLength));
    }

    [Fact]
    public void FromTags_NoTags_IsIdle() => Assert.Equal(Phase.Idle, ControlRecord.FromTags(new Dictionary<string, string>()).Phase);
}
