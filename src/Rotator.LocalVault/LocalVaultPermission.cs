namespace Rotator.LocalVault;

/// <summary>Secret permissions a token can hold, named as in Key Vault access policies.</summary>
public enum LocalVaultPermission
{
    Get,
    List,
    Set,
    Update,
    Delete,
    Recover,
    Purge,
}
