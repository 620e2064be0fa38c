using Readiness.LoadTests;

// Scenarios arrive with the load-test issue; until then the program only lists them.
Console.WriteLine("usage: dotnet run --project loadtests/Readiness.LoadTests -- <deadline-rush|steady|viewers|capacity|failover> [options]");
return args.Length == 0 ? 0 : 2;
