namespace Rotator.IntegrationTests;
