using Rotator.Configuration;
using static Rotator.Tests.Configuration.ValidOptions;

namespace Rotator.Tests.Configuration;

public sealed class RotatorOptionsValidatorTests
{
    private sealed record Case(Action<RotatorOptions> Mutate, string Path, string Fragment);

    private static readonly string Long119 = new('a', 119);

    private static readonly Dictionary<string, Case> Cases = new()
    {
        // Vault and retry
        ["vault uri missing"] = new(o => o.Vault.Uri = null, "Vault.Uri", "set Rotator:Vault:Uri to your Key Vault, e.g. https://my-vault.vault.azure.net/"),
        ["vault uri http"] = new(o => o.Vault.Uri = new Uri("http://my-vault.vault.azure.net/"), "Vault.Uri", "not an absolute https URI"),
        ["vault uri relative"] = new(o => o.Vault.Uri = new Uri("my-vault", UriKind.Relative), "Vault.Uri", "not an absolute https URI"),
        ["vault local credential"] = new(o => o.Vault.Credential = VaultCredential.LocalVault, "Vault.Credential", "LocalVault is only allowed"),
        ["vault credential undefined"] = new(o => o.Vault.Credential = (VaultCredential)42, "Vault.Credential", "not a known credential"),
        ["vault timeout zero"] = new(o => o.Vault.NetworkTimeout = TimeSpan.Zero, "Vault.NetworkTimeout", "must be greater than zero"),
        ["retry attempts zero"] = new(o => o.Retry.MaxAttempts = 0, "Retry.MaxAttempts", "must be at least 1"),
        ["retry base delay zero"] = new(o => o.Retry.BaseDelay = TimeSpan.Zero, "Retry.BaseDelay", "must be greater than zero"),
        ["retry max below base"] = new(o => o.Retry.MaxDelay = TimeSpan.FromSeconds(1), "Retry.MaxDelay", "is less than Retry.BaseDelay"),
        ["worker id with bar"] = new(o => o.WorkerId = "a|b", "WorkerId", "without '|'"),
        ["worker id empty"] = new(o => o.WorkerId = "", "WorkerId", "1 to 100 visible characters"),
        ["lease duration zero"] = new(o => o.LeaseDuration = TimeSpan.Zero, "LeaseDuration", "must be greater than zero"),
        ["lease check delay negative"] = new(o => o.LeaseCheckDelay = TimeSpan.FromSeconds(-1), "LeaseCheckDelay", "must not be negative"),
        ["lease check delay too long"] = new(o => o.LeaseCheckDelay = TimeSpan.FromMinutes(10), "LeaseCheckDelay", "is not shorter than LeaseDuration"),
        ["emergency grace zero"] = new(o => o.BillingKey().Rollout.EmergencyGrace = TimeSpan.Zero, Billing + ".Rollout.EmergencyGrace", "must be greater than zero"),

        // Names
        ["name missing"] = new(o => o.BillingKey().Name = "", "Keys[0].Name", "missing"),
        ["name blank"] = new(o => o.BillingKey().Name = "  ", "Keys[0].Name", "missing"),
        ["name with space"] = new(o => o.BillingKey().Name = "bill ing", "Keys[bill ing].Name", "has characters other than"),
        ["name with slash"] = new(o => o.BillingKey().Name = "billing/eu", "Keys[billing/eu].Name", "has characters other than"),
        ["name duplicate case-insensitive"] = new(o => o.InternalKey().Name = "BILLING", "Keys[BILLING].Name", "(Keys[1]) is already the name of Keys[0]"),

        // Secrets
        ["secret missing"] = new(o => o.BillingKey().Secret = "", Billing + ".Secret", "missing"),
        ["secret underscore"] = new(o => o.BillingKey().Secret = "billing_api_key", Billing + ".Secret", "not a valid Key Vault secret name"),
        ["secret trailing newline"] = new(o => o.BillingKey().Secret = "billing\n", Billing + ".Secret", "not a valid Key Vault secret name"),
        ["secret 119 characters"] = new(o => o.BillingKey().Secret = Long119, Billing + ".Secret", "is 119 characters; a managed secret may have at most 118"),
        ["secret 128 characters"] = new(o => o.BillingKey().Secret = new string('a', 128), Billing + ".Secret", "not a valid Key Vault secret name"),
        ["secret duplicate case-insensitive"] = new(o => o.InternalKey().Secret = "BILLING-API-KEY", Internal + ".Secret", "clashes with Keys[billing].Secret \"billing-api-key\""),
        ["secret is other's control"] = new(o => o.InternalKey().Secret = "billing-api-key-rotator", Internal + ".Secret", "the managed secret \"billing-api-key-rotator\" of Keys[internal-api] is the same vault secret as the control secret \"billing-api-key-rotator\" of Keys[billing]"),
        ["secret is other's accepted"] = new(o => o.InternalKey().Secret = "Billing-Api-Key-Accepted", Internal + ".Secret", "the same vault secret as the accepted-keys secret \"billing-api-key-accepted\" of Keys[billing]"),
        ["control is other's secret"] = new(o => o.BillingKey().Secret = "internal-api-key-rotator", Internal + ".Secret", "the control secret \"internal-api-key-rotator\" of Keys[internal-api] is the same vault secret as the managed secret \"internal-api-key-rotator\" of Keys[billing]"),
        ["credential is managed secret"] = new(o => o.Http().CredentialSecret = "internal-api-key", Billing + ".Issuer.Http.CredentialSecret", "is the managed secret \"internal-api-key\" of Keys[internal-api]"),
        ["credential is own secret"] = new(o => o.Http().CredentialSecret = "billing-api-key", Billing + ".Issuer.Http.CredentialSecret", "is the managed secret \"billing-api-key\" of Keys[billing]"),
        ["credential is derived, other case"] = new(o => o.Http().CredentialSecret = "INTERNAL-API-KEY-ROTATOR", Billing + ".Issuer.Http.CredentialSecret", "is the control secret \"internal-api-key-rotator\" of Keys[internal-api]"),
        ["credential is accepted"] = new(o => o.Http().CredentialSecret = "internal-api-key-accepted", Billing + ".Issuer.Http.CredentialSecret", "is the accepted-keys secret"),
        ["credential missing"] = new(o => o.Http().CredentialSecret = "", Billing + ".Issuer.Http.CredentialSecret", "missing"),
        ["credential invalid"] = new(o => o.Http().CredentialSecret = "vendor admin", Billing + ".Issuer.Http.CredentialSecret", "not a valid Key Vault secret name"),

        // Schedule
        ["schedule cron and interval"] = new(o => o.BillingKey().Schedule.Interval = TimeSpan.FromDays(1), Billing + ".Schedule", "both Cron and Interval are set"),
        ["schedule neither"] = new(o => o.BillingKey().Schedule.Cron = " ", Billing + ".Schedule", "neither Cron nor Interval is set"),
        ["schedule cron hour 25"] = new(o => o.BillingKey().Schedule.Cron = "0 0 25 * * ?", Billing + ".Schedule.Cron", "\"0 0 25 * * ?\" is not a valid Quartz cron expression ("),
        ["schedule cron five fields"] = new(o => o.BillingKey().Schedule.Cron = "0 3 * * *", Billing + ".Schedule.Cron", "use seconds-first Quartz syntax such as \"0 0 3 ? * MON\""),
        ["schedule cron question mark in month"] = new(o => o.BillingKey().Schedule.Cron = "0 0 3 ? ? *", Billing + ".Schedule.Cron", "is not a valid Quartz cron expression"),
        ["schedule cron garbage"] = new(o => o.BillingKey().Schedule.Cron = "every monday", Billing + ".Schedule.Cron", "is not a valid Quartz cron expression"),
        ["schedule interval zero"] = new(o => o.InternalKey().Schedule.Interval = TimeSpan.Zero, Internal + ".Schedule.Interval", "must be greater than zero"),
        ["schedule interval negative"] = new(o => o.InternalKey().Schedule.Interval = TimeSpan.FromDays(-1), Internal + ".Schedule.Interval", "must be greater than zero"),
        ["schedule time zone unknown"] = new(o => o.BillingKey().Schedule.TimeZone = "Mars/Olympus_Mons", Billing + ".Schedule.TimeZone", "not a time zone known"),
        ["schedule jitter negative"] = new(o => o.BillingKey().Schedule.Jitter = TimeSpan.FromSeconds(-1), Billing + ".Schedule.Jitter", "is negative"),

        // Rollout and expiry
        ["rollout poll zero"] = new(o => o.BillingKey().Rollout.PollInterval = TimeSpan.Zero, Billing + ".Rollout.PollInterval", "must be greater than zero"),
        ["rollout stable zero"] = new(o => o.BillingKey().Rollout.StableFor = TimeSpan.Zero, Billing + ".Rollout.StableFor", "must be greater than zero"),
        ["rollout timeout zero"] = new(o => o.BillingKey().Rollout.Timeout = TimeSpan.Zero, Billing + ".Rollout.Timeout", "must be greater than zero"),
        ["rollout stalled poll negative"] = new(o => o.BillingKey().Rollout.StalledPollInterval = TimeSpan.FromMinutes(-5), Billing + ".Rollout.StalledPollInterval", "must be greater than zero"),
        ["rollout stable equals timeout"] = new(o => o.BillingKey().Rollout.StableFor = o.BillingKey().Rollout.Timeout, Billing + ".Rollout.StableFor", "is not shorter than Rollout.Timeout"),
        ["rollout stable above timeout"] = new(o => o.BillingKey().Rollout.Timeout = TimeSpan.FromMinutes(1), Billing + ".Rollout.StableFor", "make StableFor shorter than Timeout"),
        ["expiry margin zero"] = new(o => o.BillingKey().ExpiryMargin = TimeSpan.Zero, Billing + ".ExpiryMargin", "must be greater than zero"),

        // Issuer type
        ["issuer type missing"] = new(o => o.InternalKey().Issuer.Type = "", Internal + ".Issuer.Type", "missing; set it to one of Generated, Http"),
        ["issuer type unknown"] = new(o => o.InternalKey().Issuer.Type = "Vendor", Internal + ".Issuer.Type", "\"Vendor\" is not a known issuer type; use one of Generated, Http"),

        // Generated issuer
        ["generated one character"] = new(o => o.InternalKey().Issuer.Alphabet = "aaaa", Internal + ".Issuer.Alphabet", "has 1 distinct character(s)"),
        ["generated empty alphabet"] = new(o => o.InternalKey().Issuer.Alphabet = "", Internal + ".Issuer.Alphabet", "has 0 distinct character(s)"),
        ["generated duplicates"] = new(o => o.InternalKey().Issuer.Alphabet += "aZ", Internal + ".Issuer.Alphabet", "'Z', 'a' appear more than once"),
        ["generated whitespace in alphabet"] = new(o => o.InternalKey().Issuer.Alphabet += " ", Internal + ".Issuer.Alphabet", "not printable ASCII"),
        ["generated short for default"] = new(o => o.InternalKey().Issuer.Length = 42, Internal + ".Issuer.Length", "set Length to 43 or more"),
        ["generated short for binary"] = new(o => o.InternalKey().Issuer.Alphabet = "01", Internal + ".Issuer.Length", "set Length to 256 or more"),
        ["generated short for hex"] = new(o => { o.InternalKey().Issuer.Alphabet = "0123456789abcdef"; o.InternalKey().Issuer.Length = 63; }, Internal + ".Issuer.Length", "set Length to 64 or more"),
        ["generated negative length"] = new(o => o.InternalKey().Issuer.Length = -1, Internal + ".Issuer.Length", "give 0 bits"),
        ["generated prefix space"] = new(o => o.InternalKey().Issuer.Prefix = "ik ", Internal + ".Issuer.Prefix", "not printable ASCII"),
        ["generated prefix non-ascii"] = new(o => o.InternalKey().Issuer.Prefix = "clé_", Internal + ".Issuer.Prefix", "not printable ASCII"),
        ["generated prefix control"] = new(o => o.InternalKey().Issuer.Prefix = "ik\t", Internal + ".Issuer.Prefix", "not printable ASCII"),
        ["generated without verifiers"] = new(o => o.InternalKey().Verifiers.Clear(), Internal + ".Verifiers", "a Generated key needs at least one verifier"),

        // Http issuer
        ["http base url missing"] = new(o => o.Http().BaseUrl = null, Billing + ".Issuer.Http.BaseUrl", "missing"),
        ["http base url ftp"] = new(o => o.Http().BaseUrl = new Uri("ftp://api.vendor.example/"), Billing + ".Issuer.Http.BaseUrl", "not an absolute http(s) URL"),
        ["http base url relative"] = new(o => o.Http().BaseUrl = new Uri("v1/", UriKind.Relative), Billing + ".Issuer.Http.BaseUrl", "not an absolute http(s) URL"),
        ["http account missing"] = new(o => o.Http().Account = " ", Billing + ".Issuer.Http.Account", "missing"),
        ["http one active key"] = new(o => o.Http().MaxActiveKeys = 1, Billing + ".Issuer.Http.MaxActiveKeys", "no room for a second key"),
        ["http credential header missing"] = new(o => o.Http().CredentialHeader = "", Billing + ".Issuer.Http.CredentialHeader", "missing"),
        ["http credential format"] = new(o => o.Http().CredentialFormat = "Bearer", Billing + ".Issuer.Http.CredentialFormat", "lacks {0}"),
        ["http create url missing"] = new(o => o.Http().Create.Url = "", Billing + ".Issuer.Http.Create.Url", "missing"),
        ["http create method unknown"] = new(o => o.Http().Create.Method = "FETCH", Billing + ".Issuer.Http.Create.Method", "\"FETCH\" is not an HTTP method"),
        ["http create body without label"] = new(o => o.Http().Create.Body = """{"name":"rotator"}""", Billing + ".Issuer.Http.Create.Body", "has no {label}"),
        ["http create no body no label"] = new(o => o.Http().Create.Body = null, Billing + ".Issuer.Http.Create.Body", "missing, and Create.Url has no {label}"),
        ["http list url missing"] = new(o => o.Http().List.Url = "", Billing + ".Issuer.Http.List.Url", "missing"),
        ["http list method missing"] = new(o => o.Http().List.Method = "", Billing + ".Issuer.Http.List.Method", "missing"),
        ["http revoke without id"] = new(o => o.Http().Revoke.Url = "accounts/{account}/keys", Billing + ".Issuer.Http.Revoke.Url", "has no {id}"),
        ["http revoke method"] = new(o => o.Http().Revoke.Method = "REMOVE", Billing + ".Issuer.Http.Revoke.Method", "is not an HTTP method"),
        ["http pointer id empty"] = new(o => o.Http().Pointers.Id = "", Billing + ".Issuer.Http.Pointers.Id", "missing"),
        ["http pointer key empty"] = new(o => o.Http().Pointers.Key = "", Billing + ".Issuer.Http.Pointers.Key", "missing"),
        ["http pointer items empty"] = new(o => o.Http().Pointers.Items = "", Billing + ".Issuer.Http.Pointers.Items", "missing"),
        ["http pointer label empty"] = new(o => o.Http().Pointers.Label = "", Billing + ".Issuer.Http.Pointers.Label", "missing"),
        ["http pointer without slash"] = new(o => o.Http().Pointers.Key = "key", Billing + ".Issuer.Http.Pointers.Key", "start it with '/'"),
        ["http optional pointer without slash"] = new(o => o.Http().Pointers.Status = "status", Billing + ".Issuer.Http.Pointers.Status", "start it with '/'"),
        ["http pagination pages"] = new(o => o.Http().Pagination.MaxPages = 0, Billing + ".Issuer.Http.Pagination.MaxPages", "must be at least 1"),
        ["http pagination next missing"] = new(o => { o.Http().Pagination.Style = PaginationStyle.NextUrl; o.Http().Pagination.Next = ""; }, Billing + ".Issuer.Http.Pagination.Next", "missing"),
        ["http pagination cursor parameter"] = new(o => { o.Http().Pagination.Style = PaginationStyle.Cursor; o.Http().Pagination.CursorParameter = ""; }, Billing + ".Issuer.Http.Pagination.CursorParameter", "missing"),
        ["http timeout zero"] = new(o => o.Http().Timeout = TimeSpan.Zero, Billing + ".Issuer.Http.Timeout", "must be greater than zero"),
        ["http verify url missing"] = new(o => o.Http().Verify = new HttpVerifyOptions(), Billing + ".Issuer.Http.Verify.Url", "missing"),
        ["http verify attempts"] = new(o => o.Http().Verify = new HttpVerifyOptions { Url = "me", Attempts = 0 }, Billing + ".Issuer.Http.Verify.Attempts", "must be at least 1"),
        ["http verify delay"] = new(o => o.Http().Verify = new HttpVerifyOptions { Url = "me", Delay = TimeSpan.FromSeconds(-1) }, Billing + ".Issuer.Http.Verify.Delay", "is negative"),
        ["http verify header"] = new(o => o.Http().Verify = new HttpVerifyOptions { Url = "me", Header = "" }, Billing + ".Issuer.Http.Verify.Header", "missing"),
        ["http verify format"] = new(o => o.Http().Verify = new HttpVerifyOptions { Url = "me", Format = "key" }, Billing + ".Issuer.Http.Verify.Format", "lacks {0}"),
        ["http with verifiers"] = new(o => o.BillingKey().Verifiers.Add(new ProbeOptions { Url = new Uri("http://x/") }), Billing + ".Verifiers", "verifiers only apply to Generated issuers"),

        // Consumers and verifiers
        ["consumers none"] = new(o => o.BillingKey().Consumers.Clear(), Billing + ".Consumers", "add at least one consumer"),
        ["consumer type unknown"] = new(o => o.BillingKey().Consumers[0].Type = "Grpc", Billing + ".Consumers[0].Type", "\"Grpc\" is not a known probe type; use one of Http"),
        ["consumer type missing"] = new(o => o.BillingKey().Consumers[0].Type = "", Billing + ".Consumers[0].Type", "missing"),
        ["consumer url missing"] = new(o => o.BillingKey().Consumers[0].Url = null, Billing + ".Consumers[0].Url", "missing URL"),
        ["consumer url relative"] = new(o => o.BillingKey().Consumers[0].Url = new Uri("/rotator/key", UriKind.Relative), Billing + ".Consumers[0].Url", "not an absolute http(s) URL"),
        ["consumer url file"] = new(o => o.BillingKey().Consumers[0].Url = new Uri("file:///tmp/key"), Billing + ".Consumers[0].Url", "not an absolute http(s) URL"),
        ["consumer no addresses"] = new(o => o.BillingKey().Consumers[0].MinAddresses = 0, Billing + ".Consumers[0].MinAddresses", "must be at least 1"),
        ["consumer timeout zero"] = new(o => o.BillingKey().Consumers[0].Timeout = TimeSpan.Zero, Billing + ".Consumers[0].Timeout", "must be greater than zero"),
        ["second consumer"] = new(o => o.BillingKey().Consumers.Add(new ProbeOptions()), Billing + ".Consumers[1].Url", "missing URL"),
        ["verifier url missing"] = new(o => o.InternalKey().Verifiers[0].Url = null, Internal + ".Verifiers[0].Url", "missing URL; set the verifier's probe endpoint"),
        ["verifier type unknown"] = new(o => o.InternalKey().Verifiers[0].Type = "Kubernetes", Internal + ".Verifiers[0].Type", "not a known probe type"),
        ["verifier no addresses"] = new(o => o.InternalKey().Verifiers[0].MinAddresses = -1, Internal + ".Verifiers[0].MinAddresses", "must be at least 1"),
        ["verifier timeout zero"] = new(o => o.InternalKey().Verifiers[0].Timeout = TimeSpan.Zero, Internal + ".Verifiers[0].Timeout", "must be greater than zero"),
    };

    public static TheoryData<string> CaseNames => [.. Cases.Keys];

    [Fact]
    public void Baseline_is_valid()
    {
        Assert.Empty(Failures(Create()));
        Assert.Empty(Failures(Create(), localVaultAllowed: true));
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void One_problem_gives_one_message_naming_the_key_and_the_field(string name)
    {
        var (mutate, path, fragment) = Cases[name];
        var options = Create();
        mutate(options);

        var failure = AssertSingleFailure(options, path, fragment);

        Assert.Contains(';', failure);
        Assert.EndsWith(".", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void Cron_message_carries_the_parser_message()
    {
        var options = Create();
        options.BillingKey().Schedule.Cron = "0 0 25 * * ?";

        var failure = AssertSingleFailure(options, Billing + ".Schedule.Cron", "is not a valid Quartz cron expression");

        Assert.Matches(@"\(.*[Hh]our.*\); use seconds-first Quartz syntax such as ""0 0 3 \? \* MON""\.$", failure);
    }

    [Theory]
    [MemberData(nameof(ValidVariantNames))]
    public void Valid_variants_pass(string name)
    {
        var options = Create();
        ValidVariants[name](options);

        Assert.Empty(Failures(options));
    }

    private static readonly Dictionary<string, Action<RotatorOptions>> ValidVariants = new()
    {
        ["no keys"] = o => o.Keys.Clear(),
        ["sub-second interval"] = o => o.InternalKey().Schedule.Interval = TimeSpan.FromMilliseconds(250),
        ["sub-second rollout"] = o =>
        {
            var rollout = o.BillingKey().Rollout;
            rollout.PollInterval = TimeSpan.FromMilliseconds(50);
            rollout.StableFor = TimeSpan.FromMilliseconds(200);
            rollout.Timeout = TimeSpan.FromMilliseconds(900);
            rollout.StalledPollInterval = TimeSpan.FromMilliseconds(100);
        },
        ["sub-second probe timeout"] = o => o.BillingKey().Consumers[0].Timeout = TimeSpan.FromMilliseconds(300),
        ["secret of 118 characters"] = o => o.BillingKey().Secret = new string('a', SecretNames.MaxManagedLength),
        ["secret of 1 character"] = o => o.BillingKey().Secret = "a",
        ["iana time zone"] = o => o.BillingKey().Schedule.TimeZone = "Europe/Berlin",
        ["utc time zone"] = o => o.BillingKey().Schedule.TimeZone = "UTC",
        ["zero jitter and some jitter"] = o => o.InternalKey().Schedule.Jitter = TimeSpan.FromHours(2),
        ["cron with empty interval"] = o => o.BillingKey().Schedule.Interval = null,
        ["issuer type in lower case"] = o => o.BillingKey().Issuer.Type = "http",
        ["probe type in lower case"] = o => o.BillingKey().Consumers[0].Type = "http",
        ["hex alphabet at exactly 256 bits"] = o =>
        {
            o.InternalKey().Issuer.Alphabet = "0123456789abcdef";
            o.InternalKey().Issuer.Length = 64;
        },
        ["binary alphabet at exactly 256 bits"] = o =>
        {
            o.InternalKey().Issuer.Alphabet = "01";
            o.InternalKey().Issuer.Length = 256;
        },
        ["empty prefix"] = o => o.InternalKey().Issuer.Prefix = "",
        ["label in create url instead of body"] = o =>
        {
            o.Http().Create.Body = null;
            o.Http().Create.Url = "accounts/{account}/keys?name={label}";
        },
        ["methods in lower case"] = o => o.Http().Revoke.Method = "post",
        ["http base url plain http"] = o => o.Http().BaseUrl = new Uri("http://vendor.internal:8080/"),
        ["verify request"] = o => o.Http().Verify = new HttpVerifyOptions { Url = "me", Delay = TimeSpan.Zero },
        ["cursor pagination"] = o => o.Http().Pagination.Style = PaginationStyle.Cursor,
        ["optional pointers empty"] = o =>
        {
            o.Http().Pointers.Created = "";
            o.Http().Pointers.LastUsed = "";
            o.Http().Pointers.Status = null;
        },
        ["three active keys"] = o => o.Http().MaxActiveKeys = 3,
        ["two http keys share a credential and an account"] = o =>
        {
            var second = Create().BillingKey();
            second.Name = "billing-eu";
            second.Secret = "billing-eu-api-key";
            o.Keys.Add(second);
        },
        ["names with dots and underscores"] = o => o.BillingKey().Name = "billing_v2.eu",
        ["secret that only looks derived"] = o => o.InternalKey().Secret = "billing-api-key-rotator2",
        ["several consumers"] = o => o.BillingKey().Consumers.Add(new ProbeOptions { Url = new Uri("https://billing-batch.example/rotator/key"), MinAddresses = 3 }),
    };

    public static TheoryData<string> ValidVariantNames => [.. ValidVariants.Keys];

    [Fact]
    public void Several_problems_give_one_message_each()
    {
        var options = Create();
        options.Vault.Uri = null;
        options.Retry.MaxAttempts = 0;
        options.BillingKey().Schedule.Cron = "0 0 25 * * ?";
        options.BillingKey().Consumers.Clear();
        options.Http().Revoke.Url = "keys";
        options.InternalKey().Issuer.Length = 10;
        options.InternalKey().Verifiers.Clear();
        options.Keys.Add(new ManagedKeyOptions { Issuer = new IssuerOptions { Type = "Generatd" } });

        var failures = Failures(options);

        Assert.Collection(
            failures,
            f => Assert.StartsWith("Vault.Uri: missing", f, StringComparison.Ordinal),
            f => Assert.StartsWith("Retry.MaxAttempts: 0 must be at least 1", f, StringComparison.Ordinal),
            f => Assert.StartsWith("Keys[2].Name: missing", f, StringComparison.Ordinal),
            f => Assert.StartsWith("Keys[2].Secret: missing", f, StringComparison.Ordinal),
            f => Assert.StartsWith("Keys[billing].Schedule.Cron: \"0 0 25 * * ?\" is not a valid Quartz cron expression", f, StringComparison.Ordinal),
            f => Assert.StartsWith("Keys[billing].Issuer.Http.Revoke.Url: \"keys\" has no {id}", f, StringComparison.Ordinal),
            f => Assert.StartsWith("Keys[billing].Consumers: none", f, StringComparison.Ordinal),
            f => Assert.StartsWith("Keys[internal-api].Issuer.Length: 10 characters", f, StringComparison.Ordinal),
            f => Assert.StartsWith("Keys[internal-api].Verifiers: none", f, StringComparison.Ordinal),
            f => Assert.StartsWith("Keys[2].Schedule: neither Cron nor Interval is set", f, StringComparison.Ordinal),
            f => Assert.StartsWith("Keys[2].Issuer.Type: \"Generatd\" is not a known issuer type", f, StringComparison.Ordinal),
            f => Assert.StartsWith("Keys[2].Consumers: none", f, StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_reports_every_failure_in_the_result()
    {
        var options = Create();
        options.Vault.NetworkTimeout = TimeSpan.Zero;
        options.BillingKey().ExpiryMargin = TimeSpan.Zero;

        var result = new RotatorOptionsValidator(localVaultAllowed: false).Validate(null, options);

        Assert.True(result.Failed);
        Assert.Equal(2, result.Failures!.Count());
        Assert.Contains("Vault.NetworkTimeout", result.FailureMessage, StringComparison.Ordinal);
        Assert.Contains("Keys[billing].ExpiryMargin", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void A_secret_shared_by_three_keys_gives_one_message_per_later_key()
    {
        var options = Create();
        var third = Create().InternalKey();
        third.Name = "third";
        options.Keys.Add(third);

        var failures = Failures(options);

        var failure = Assert.Single(failures);
        Assert.StartsWith("Keys[third].Secret: \"internal-api-key\" clashes with Keys[internal-api].Secret", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void A_secret_clashing_with_two_earlier_keys_names_both()
    {
        var options = Create();
        options.BillingKey().Secret = "shared-rotator";
        options.InternalKey().Secret = "shared-accepted";
        var third = Create().InternalKey();
        third.Name = "third";
        third.Secret = "Shared";
        options.Keys.Add(third);

        var failures = Failures(options);

        Assert.Collection(
            failures,
            f => Assert.StartsWith("Keys[third].Secret: \"Shared\" clashes with Keys[billing].Secret \"shared-rotator\"", f, StringComparison.Ordinal),
            f => Assert.StartsWith("Keys[third].Secret: \"Shared\" clashes with Keys[internal-api].Secret \"shared-accepted\"", f, StringComparison.Ordinal));
    }

    [Fact]
    public void An_unnamed_key_is_named_by_its_index()
    {
        var options = Create();
        options.Keys.Insert(0, new ManagedKeyOptions
        {
            Secret = "extra",
            Schedule = new ScheduleOptions { Interval = TimeSpan.FromDays(30) },
            Issuer = new IssuerOptions { Type = "Generated" },
            Consumers = [new ProbeOptions { Url = new Uri("http://a/") }],
        });

        var failures = Failures(options);

        Assert.Collection(
            failures,
            f => Assert.StartsWith("Keys[0].Name: missing", f, StringComparison.Ordinal),
            f => Assert.StartsWith("Keys[0].Verifiers: none", f, StringComparison.Ordinal));
    }

    [Fact]
    public void Local_vault_credential_is_allowed_only_where_the_local_vault_is()
    {
        var options = Create();
        options.Vault.Credential = VaultCredential.LocalVault;
        options.Vault.LocalVaultData = "/tmp/rotator-vault";

        AssertSingleFailure(options, "Vault.Credential", "LocalVault is only allowed under the demo and local-vault commands");
        Assert.Empty(Failures(options, localVaultAllowed: true));
    }

    [Fact]
    public void Local_vault_credential_needs_its_data_folder()
    {
        var options = Create();
        options.Vault.Credential = VaultCredential.LocalVault;

        AssertSingleFailure(options, "Vault.LocalVaultData", "set it to the local vault's data folder", localVaultAllowed: true);
    }

    [Fact]
    public void A_missing_vault_uri_is_an_error_unless_the_local_vault_is_allowed()
    {
        var options = Create();
        options.Vault.Uri = null;

        AssertSingleFailure(options, "Vault.Uri", "set Rotator:Vault:Uri to your Key Vault, e.g. https://my-vault.vault.azure.net/");
        Assert.Empty(Failures(options, localVaultAllowed: true));
    }

    [Fact]
    public void Allowing_the_local_vault_still_requires_an_https_uri_when_one_is_given()
    {
        var options = Create();
        options.Vault.Uri = new Uri("http://localhost:8443/");

        AssertSingleFailure(options, "Vault.Uri", "not an absolute https URI", localVaultAllowed: true);
    }

    [Theory]
    [InlineData(118, true)]
    [InlineData(119, false)]
    public void Managed_secret_length_limit_leaves_room_for_the_suffixes(int length, bool valid)
    {
        var options = Create();
        options.BillingKey().Secret = new string('k', length);

        Assert.Equal(valid, Failures(options).Count == 0);
        Assert.True(SecretNames.IsValid(SecretNames.Accepted(new string('k', SecretNames.MaxManagedLength))));
    }

    [Fact]
    public void Http_issuer_checks_are_skipped_for_generated_keys_and_the_reverse()
    {
        var options = Create();
        options.InternalKey().Issuer.Http.Account = "";
        options.BillingKey().Issuer.Length = 1;
        options.BillingKey().Issuer.Alphabet = "a";

        Assert.Empty(Failures(options));
    }

    [Fact]
    public void Null_entries_are_reported_not_thrown()
    {
        var options = Create();
        options.Keys.Add(null!);
        options.BillingKey().Consumers.Add(null!);
        options.Http().Verify = null;

        var failures = Failures(options);

        Assert.Collection(
            failures,
            f => Assert.StartsWith("Keys[billing].Consumers[1]: empty entry", f, StringComparison.Ordinal),
            f => Assert.StartsWith("Keys[2]: empty entry", f, StringComparison.Ordinal));
    }
}
