using Rotator.Configuration;

namespace Rotator.Tests.Configuration;

public sealed class SecretNamesTests
{
    [Fact]
    public void Derived_names_append_their_suffixes()
    {
        Assert.Equal("billing-api-key-rotator", SecretNames.Control("billing-api-key"));
        Assert.Equal("billing-api-key-accepted", SecretNames.Accepted("billing-api-key"));
    }

    [Fact]
    public void The_longest_managed_name_still_leaves_valid_derived_names()
    {
        var longest = new string('a', SecretNames.MaxManagedLength);

        Assert.Equal(118, SecretNames.MaxManagedLength);
        Assert.True(SecretNames.IsValid(SecretNames.Control(longest)));
        Assert.True(SecretNames.IsValid(SecretNames.Accepted(longest)));
        Assert.Equal(127, SecretNames.Accepted(longest).Length);
        Assert.False(SecretNames.IsValid(SecretNames.Accepted(longest + "a")));
    }

    [Theory]
    [InlineData("a", true)]
    [InlineData("Billing-API-key-1", true)]
    [InlineData("-", true)]
    [InlineData("", false)]
    [InlineData(null, false)]
    [InlineData("billing_key", false)]
    [InlineData("billing.key", false)]
    [InlineData("billing key", false)]
    [InlineData("billing\n", false)]
    [InlineData("clé", false)]
    public void IsValid_follows_key_vault_rules(string? name, bool valid) => Assert.Equal(valid, SecretNames.IsValid(name));

    [Theory]
    [InlineData(127, true)]
    [InlineData(128, false)]
    public void IsValid_allows_at_most_127_characters(int length, bool valid) =>
        Assert.Equal(valid, SecretNames.IsValid(new string('x', length)));
}
