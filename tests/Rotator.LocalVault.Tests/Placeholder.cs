namespace Rotator.LocalVault.Tests;
