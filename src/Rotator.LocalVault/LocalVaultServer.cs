namespace Rotator.LocalVault;
