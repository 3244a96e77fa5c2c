namespace Rotator.Demo;
