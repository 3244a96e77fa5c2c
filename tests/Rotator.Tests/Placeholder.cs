namespace Rotator.Tests;
