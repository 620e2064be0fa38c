using Readiness.CpuProfile;
using Xunit;

namespace Readiness.LoadTests.Smoke;

/// <summary>The CPU profile's reading of `perf script`: which part each sample is charged to.</summary>
public sealed class CpuProfileTests
{
    // Four samples as `perf script` prints them for a .NET server run with DOTNET_PerfMapEnabled=1: a JSON frame under the
    // product's grain; the runtime's general code under the bearer handler; an fsync entered from SQLite; a GC under Kestrel.
    private const string Script = """
        dotnet  4242 [001] 100.000001:    1001001 cpu-clock:ppp:
        	    7f0000000001 void [System.Text.Json] System.Text.Json.Utf8JsonWriter::WriteStringMinimized(valuetype System.ReadOnlySpan`1<char>)[OptimizedTier1]+0x31 (/tmp/perf-4242.map)
        	    7f0000000002 class Readiness.Grains.PooledBytes [Readiness.Grains] Readiness.Grains.GrainStateJson::TrySerialize(!!0)[Optimized]+0x8 (/tmp/perf-4242.map)
        	    7f0000000003 instance void [System.Private.CoreLib] System.Threading.ThreadPoolWorkQueue::Dispatch()[Optimized]+0x1 (/tmp/perf-4242.map)

        dotnet  4242 [000] 100.001002:    1001001 cpu-clock:ppp:
        	    7f0000000004 instance class [System.Runtime]System.String [System.Private.CoreLib] System.String::Substring(int32)[OptimizedTier1]+0x2 (/tmp/perf-4242.map)
        	    7f0000000005 instance class [System.Runtime]System.Threading.Tasks.Task`1<bool> [Microsoft.AspNetCore.Authentication.JwtBearer] Microsoft.AspNetCore.Authentication.JwtBearer.JwtBearerHandler+<HandleAuthenticateAsync>d__6::MoveNext()[Optimized]+0x55 (/tmp/perf-4242.map)

        dotnet  4243 [001] 100.002003:    1001001 cpu-clock:ppp:
        	ffffffff81000001 ext4_sync_file+0x10 ([kernel.kallsyms])
        	ffffffff81000002 __x64_sys_fsync+0x5 ([kernel.kallsyms])
        	    7f1000000001 fsync+0x1b (/usr/lib/x86_64-linux-gnu/libc.so.6)
        	    7f2000000001 sqlite3_step+0x99 (/work/main/bin/libe_sqlite3.so)

        dotnet  4244 [000] 100.003004:    1001001 cpu-clock:ppp:
        	    7f3000000001 WKS::gc_heap::mark_object_simple(unsigned char**)+0x40 (/usr/share/dotnet/shared/Microsoft.NETCore.App/10.0.0/libcoreclr.so)
        	    7f0000000006 instance void [Microsoft.AspNetCore.Server.Kestrel.Core] Microsoft.AspNetCore.Server.Kestrel.Core.Internal.Http.HttpProtocol::ProcessRequests()[Optimized]+0x9 (/tmp/perf-4242.map)

        """;

    [Fact]
    public void Each_sample_is_charged_to_its_innermost_named_part()
    {
        var profile = CpuSamples.Read(new StringReader(Script));

        Assert.Equal(4, profile.Samples);
        Assert.Equal(1, profile.ByPart["JSON (System.Text.Json)"]);
        Assert.Equal(1, profile.ByPart["authentication (JwtBearer, cookies, IdentityModel, OpenIddict)"]);
        Assert.Equal(1, profile.ByPart["kernel: files (fsync, pwrite, pread)"]);
        Assert.Equal(1, profile.ByPart["GC"]);
        Assert.False(profile.ByPart.ContainsKey(CpuSamples.RuntimeAlone));
        Assert.Contains("JSON (System.Text.Json): System.Text.Json.Utf8JsonWriter::WriteStringMinimized(valuetype System.ReadOnlySpan`1<char>)[OptimizedTier1]", profile.ByPartFrame.Keys);
    }

    [Fact]
    public void A_managed_frame_is_named_by_its_type_not_by_an_assembly_in_its_return_type()
    {
        var frame = CpuSamples.ParseFrame("\t    7f00 instance class [System.Runtime]System.Threading.Tasks.Task [Readiness.Hosting] Readiness.Hosting.GroupCommitGrainStorage::CommitAsync(int32)[Optimized]+0x1c (/tmp/perf-1.map)");

        Assert.Equal(("instance class [System.Runtime]System.Threading.Tasks.Task [Readiness.Hosting] Readiness.Hosting.GroupCommitGrainStorage::CommitAsync(int32)[Optimized]", "/tmp/perf-1.map"), frame);
        Assert.Equal("Readiness.Hosting.GroupCommitGrainStorage::CommitAsync(int32)[Optimized]", CpuSamples.ManagedMethod(frame!.Value.Symbol));
        Assert.Null(CpuSamples.ManagedMethod("sqlite3_step"));
        Assert.Null(CpuSamples.ParseFrame("dotnet  4242 [001] 100.000001:    1001001 cpu-clock:ppp:"));
    }

    [Fact]
    public void A_sample_of_the_runtime_alone_is_counted_as_such()
    {
        var profile = CpuSamples.Read(new StringReader("""
            dotnet  1 [000] 1.0: 1 cpu-clock:
            	    7f01 instance void [System.Private.CoreLib] System.Threading.ThreadPoolWorkQueue::Dispatch()[Optimized]+0x1 (/tmp/perf-1.map)
            	    7f02 start_thread+0x1 (/usr/lib/x86_64-linux-gnu/libc.so.6)
            """));

        Assert.Equal(1, profile.Samples);
        Assert.Equal(1, profile.ByPart[CpuSamples.RuntimeAlone]);

        // The runtime's unsymbolised native code with no named caller (a GC thread) is told apart.
        var gc = CpuSamples.Read(new StringReader("""
            dotnet  1 [000] 1.0: 1 cpu-clock:
            	    7f03 [unknown] (/usr/share/dotnet/shared/Microsoft.NETCore.App/10.0.0/libcoreclr.so)
            	    7f04 [unknown] (/usr/share/dotnet/shared/Microsoft.NETCore.App/10.0.0/libcoreclr.so)
            	    7f05 start_thread+0x1 (/usr/lib/x86_64-linux-gnu/libc.so.6)
            """));
        Assert.Equal(1, gc.ByPart[CpuSamples.RuntimeNative]);

        // libc's system-call wrapper, where perf could not unwind further, is the system call's.
        var write = CpuSamples.Read(new StringReader("""
            dotnet  1 [000] 1.0: 1 cpu-clock:
            	    7f06 __libc_pwrite+0x15 (/usr/lib/x86_64-linux-gnu/libc.so.6)
            """));
        Assert.Equal(1, write.ByPart["kernel: files (fsync, pwrite, pread)"]);
    }
}
