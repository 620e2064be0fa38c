using System.Collections.Immutable;
using MathNet.Numerics.Distributions;

namespace Readiness.Planning;

/// <summary>
/// The Monte Carlo completion forecast: pure, deterministic for the same inputs, options and seed, independent of the
/// number of workers.
/// <para>
/// Per trial and system, the remaining time to in_production is drawn: the rest of the current phase (its log-normal
/// duration conditioned on the time already spent in it) plus the later phases up to testing (a precomputed table of
/// their sum). A planned go-live, else a designation target, is evidence: the system goes live at that date plus a drawn
/// slip (conditioned on not before today), but not earlier than the 5th percentile of what its remaining phases need.
/// Then vendor capacity: per vendor at most k go-lives a month; systems that are ready queue first come first served,
/// so a vendor's backlog pushes its customers' dates. A municipality completes when its last system does, a prefecture
/// when its last municipality does, the nation when its last prefecture does — per trial, so the quantiles are
/// consistent from system to nation.
/// </para>
/// <para>
/// Random numbers are a counter-based hash of (seed, trial, system key): a system's draws do not depend on other
/// systems or on the order of work, so a change to one vendor's capacity moves only its customers' dates.
/// Memory is bounded by systems × horizon (histograms), not by trials.
/// </para>
/// </summary>
public static class ForecastEngine
{
    private const int TableSize = 2048;
    private const int LaterSamples = TableSize * 16;

    // Trials buffered per worker before their months are added to the per-system histograms.
    private const int BlockTrials = 32;

    /// <summary>Estimates the model from <paramref name="history"/> and runs the forecast.</summary>
    public static ForecastResult Run(IReadOnlyList<ForecastSystem> systems, ForecastHistory history, ForecastOptions options)
    {
        var model = ForecastModel.Estimate(history, options.AsOf, options.VendorCapacity, options.EstimateVendorCapacity);
        return Run(systems, model, options);
    }

    /// <summary>Runs the forecast with a given model (capacities from <paramref name="model"/>).</summary>
    public static ForecastResult Run(IReadOnlyList<ForecastSystem> systems, ForecastModel model, ForecastOptions options)
    {
        if (options.Trials is < 1 or > ushort.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.Trials, "Trials must be 1..65535.");
        }

        if (options.HorizonMonths is < 1 or > 600)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.HorizonMonths, "HorizonMonths must be 1..600.");
        }

        if (options.UnreportedMonthlyCompletionRate is { } rate && (rate <= 0 || rate >= 1 || double.IsNaN(rate)))
        {
            throw new ArgumentOutOfRangeException(nameof(options), rate, "UnreportedMonthlyCompletionRate must be in (0, 1).");
        }

        var plan = Prepared.Create(systems, model, options);
        var run = new Accumulator(plan);
        var keep = options.KeepSamples ? new ForecastSamples(
            new short[options.Trials][], new short[options.Trials][], new short[options.Trials][], new short[options.Trials]) : null;
        // A fixed number of workers, each with its own buffers, taking the next trial from a shared counter; the result
        // does not depend on which worker ran which trial (counts are summed, draws are keyed by trial and system).
        var next = -1;
        var workers = Enumerable.Range(0, Math.Clamp(options.Workers, 1, options.Trials)).Select(_ => new Worker(plan)).ToArray();
        Parallel.ForEach(workers, new ParallelOptions { MaxDegreeOfParallelism = workers.Length }, worker =>
        {
            int trial;
            while ((trial = Interlocked.Increment(ref next)) < options.Trials)
            {
                worker.Simulate(trial, run.MonthlyRow(trial), keep);
            }
        });
        foreach (var worker in workers)
        {
            worker.Flush();
            run.Add(worker);
        }

        return run.Result(model, keep);
    }

    // Everything that does not change between trials, computed once.
    private sealed class Prepared
    {
        public required ForecastOptions Options { get; init; }
        public required ForecastSystem[] Systems { get; init; }
        public required int Bins { get; init; }
        public required int Horizon { get; init; }
        public required DateOnly FirstMonth { get; init; }
        public required int DeadlineMonth { get; init; }

        // Per system.
        public required byte[] Kind { get; init; }
        public required ulong[] Key { get; init; }
        public required double[] Elapsed { get; init; }
        public required double[] ElapsedTail { get; init; }
        public required double[] Floor { get; init; }
        public required double[] Gap { get; init; }
        public required double[] SlipMean { get; init; }
        public required double[] SlipSd { get; init; }
        public required double[] SlipTail { get; init; }
        public required int[] VendorOf { get; init; }
        public required int[] TargetMonth { get; init; }
        public required double[][] CurrentTable { get; init; }
        public required double[][] LaterTable { get; init; }
        public required PhaseDuration[] CurrentPhase { get; init; }

        // Groups: systems [MunicipalityStart[m], MunicipalityStart[m + 1]); municipalities of prefecture likewise.
        public required int[] MunicipalityStart { get; init; }
        public required string[] MunicipalityCodes { get; init; }
        public required int[] PrefectureStart { get; init; }
        public required string[] PrefectureCodes { get; init; }

        public required string[] Vendors { get; init; }
        public required int[] Capacity { get; init; }
        public required bool[] CapacitySet { get; init; }
        public required double DayFraction { get; init; }
        public required double UnreportedLogRate { get; init; }

        public static Prepared Create(IReadOnlyList<ForecastSystem> input, ForecastModel model, ForecastOptions options)
        {
            var systems = input
                .Select((s, i) => (s, i))
                .OrderBy(x => x.s.MunicipalityCode, StringComparer.Ordinal)
                .ThenBy(x => x.i)
                .Select(x => x.s)
                .ToArray();
            var n = systems.Length;
            var firstMonth = new DateOnly(options.AsOf.Year, options.AsOf.Month, 1);
            var horizon = options.HorizonMonths;

            // Tables: the current phase's quantiles and the sum of the later phases' durations, per stratum and phase.
            var current = new double[2 * 9][];
            var later = new double[2 * 9][];
            var z = new double[TableSize];
            for (var i = 0; i < TableSize; i++)
            {
                z[i] = Normal.InvCDF(0, 1, (i + 0.5) / TableSize);
            }

            for (var s = 0; s < 2; s++)
            {
                for (var p = 0; p < 9; p++)
                {
                    var d = model.Phase((MigrationPhase)p, s == 1);
                    current[(s * 9) + p] = z.Select(v => Math.Exp(d.LogMean + (d.LogSigma * v))).ToArray();
                }

                for (var p = 0; p < 9; p++)
                {
                    var sums = new double[LaterSamples];
                    var state = Mix(options.Seed ^ (ulong)((s * 9) + p + 1) * 0x9E3779B97F4A7C15UL);
                    for (var k = 0; k < LaterSamples; k++)
                    {
                        double total = 0;
                        for (var q = p + 1; q < 9; q++)
                        {
                            state = Mix(state + 0x9E3779B97F4A7C15UL);
                            var table = current[(s * 9) + q];
                            total += table[(int)(Uniform(state) * TableSize)];
                        }

                        sums[k] = total;
                    }

                    Array.Sort(sums);
                    var result = new double[TableSize];
                    for (var i = 0; i < TableSize; i++)
                    {
                        result[i] = sums[(int)((i + 0.5) / TableSize * LaterSamples)];
                    }

                    later[(s * 9) + p] = result;
                }
            }

            var vendorIndex = new Dictionary<string, int>(StringComparer.Ordinal);
            var vendors = new List<string>();
            var capacity = new List<int>();
            var capacitySet = new List<bool>();
            foreach (var (vendor, estimate) in model.VendorCapacity.OrderBy(v => v.Key, StringComparer.Ordinal))
            {
                vendorIndex[vendor] = vendors.Count;
                vendors.Add(vendor);
                capacity.Add(Math.Max(1, estimate.PerMonth));
                capacitySet.Add(estimate.Set);
            }

            var kind = new byte[n];
            var key = new ulong[n];
            var elapsed = new double[n];
            var elapsedTail = new double[n];
            var floor = new double[n];
            var gap = new double[n];
            var slipMean = new double[n];
            var slipSd = new double[n];
            var slipTail = new double[n];
            var vendorOf = new int[n];
            var targetMonth = new int[n];
            var currentTable = new double[n][];
            var laterTable = new double[n][];
            var currentPhase = new PhaseDuration[n];
            var municipalityStart = new List<int>();
            var municipalityCodes = new List<string>();
            var prefectureStart = new List<int>();
            var prefectureCodes = new List<string>();
            for (var i = 0; i < n; i++)
            {
                var system = systems[i];
                if (i == 0 || system.MunicipalityCode != systems[i - 1].MunicipalityCode)
                {
                    if (municipalityCodes.Count == 0 || municipalityCodes[^1][..2] != system.PrefectureCode)
                    {
                        prefectureStart.Add(municipalityCodes.Count);
                        prefectureCodes.Add(system.PrefectureCode);
                    }

                    municipalityStart.Add(i);
                    municipalityCodes.Add(system.MunicipalityCode);
                }

                key[i] = Fnv(system.MunicipalityCode, system.BusinessId);
                vendorOf[i] = Rules.FreeText.Identifier(system.Vendor) is { } v && vendorIndex.TryGetValue(v, out var vi) ? vi : -1;
                targetMonth[i] = system.OwnTarget is { } target ? MonthIndex(firstMonth, target) : int.MinValue;
                if (system.Phase >= MigrationPhase.InProduction)
                {
                    kind[i] = 0;
                    continue;
                }

                var stratum = system.Designated ? 1 : 0;
                var phase = (int)system.Phase;
                var duration = model.Phase(system.Phase, system.Designated);
                currentPhase[i] = duration;
                currentTable[i] = current[(stratum * 9) + phase];
                laterTable[i] = later[(stratum * 9) + phase];
                elapsed[i] = system.PhaseSince is { } since ? Math.Max(0, ForecastModel.Months(since, options.AsOf)) : 0;
                elapsedTail[i] = elapsed[i] > 0 ? UpperTail((Math.Log(elapsed[i]) - duration.LogMean) / duration.LogSigma) : 1;
                floor[i] = laterTable[i][TableSize / 20];
                if (!system.Reported && options.UnreportedMonthlyCompletionRate is not null)
                {
                    kind[i] = 3;
                }
                else if (system.OwnTarget is { } evidence)
                {
                    kind[i] = 2;
                    var slip = system.PlannedGoLive is not null ? model.PlanSlip : model.TargetSlip;
                    gap[i] = ForecastModel.Months(options.AsOf, evidence);
                    slipMean[i] = slip.MeanMonths;
                    slipSd[i] = Math.Max(0.05, slip.SdMonths);
                    // The slip is conditioned on a go-live not before today: slip >= -gap.
                    slipTail[i] = UpperTail((-gap[i] - slipMean[i]) / slipSd[i]);
                }
                else
                {
                    kind[i] = 1;
                }
            }

            municipalityStart.Add(n);
            prefectureStart.Add(municipalityCodes.Count);
            var days = DateTime.DaysInMonth(options.AsOf.Year, options.AsOf.Month);
            return new Prepared
            {
                Options = options,
                Systems = systems,
                Horizon = horizon,
                Bins = horizon + 2,
                FirstMonth = firstMonth,
                DeadlineMonth = MonthIndex(firstMonth, options.Deadline),
                Kind = kind,
                Key = key,
                Elapsed = elapsed,
                ElapsedTail = elapsedTail,
                Floor = floor,
                Gap = gap,
                SlipMean = slipMean,
                SlipSd = slipSd,
                SlipTail = slipTail,
                VendorOf = vendorOf,
                TargetMonth = targetMonth,
                CurrentTable = currentTable,
                LaterTable = laterTable,
                CurrentPhase = currentPhase,
                MunicipalityStart = [.. municipalityStart],
                MunicipalityCodes = [.. municipalityCodes],
                PrefectureStart = [.. prefectureStart],
                PrefectureCodes = [.. prefectureCodes],
                Vendors = [.. vendors],
                Capacity = [.. capacity],
                CapacitySet = [.. capacitySet],
                DayFraction = (options.AsOf.Day - 1) / (double)days,
                UnreportedLogRate = options.UnreportedMonthlyCompletionRate is { } r ? LogOneMinus(r) : 0,
            };
        }
    }

    // One worker's buffers and partial sums; several trials run through one worker, sums are merged at the end.
    private sealed class Worker
    {
        private readonly Prepared _p;
        private readonly short[] _month;
        private readonly short[] _ready;
        private readonly int[] _bucketStart;
        private readonly int[] _order;
        private readonly int[] _vendorMonth;
        private readonly int[] _vendorUsed;
        private readonly short[] _municipalityMonth;
        private readonly short[] _block;
        private int _blockCount;

        public Worker(Prepared p)
        {
            _p = p;
            var n = p.Systems.Length;
            var municipalities = p.MunicipalityCodes.Length;
            _month = new short[n];
            _ready = new short[n];
            _bucketStart = new int[p.Horizon + 2];
            _order = new int[n];
            _vendorMonth = new int[p.Vendors.Length];
            _vendorUsed = new int[p.Vendors.Length];
            _municipalityMonth = new short[municipalities];
            _block = new short[BlockTrials * n];
            SystemHistogram = new ushort[n * p.Bins];
            MunicipalityHistogram = new ushort[municipalities * p.Bins];
            PrefectureHistogram = new ushort[p.PrefectureCodes.Length * p.Bins];
            NationHistogram = new ushort[p.Bins];
            MunicipalityByTargets = new int[municipalities];
            VendorDelayed = new long[p.Vendors.Length];
            VendorDelayMonths = new long[p.Vendors.Length];
        }

        public ushort[] SystemHistogram { get; }
        public ushort[] MunicipalityHistogram { get; }
        public ushort[] PrefectureHistogram { get; }
        public ushort[] NationHistogram { get; }
        public int[] MunicipalityByTargets { get; }
        public long[] VendorDelayed { get; }
        public long[] VendorDelayMonths { get; }

        public void Simulate(int trial, Span<int> monthly, ForecastSamples? keep)
        {
            var p = _p;
            var n = p.Systems.Length;
            var horizon = p.Horizon;
            var trialKey = Mix(p.Options.Seed + ((ulong)trial * 0xD1B54A32D192ED03UL));
            for (var i = 0; i < n; i++)
            {
                _ready[i] = p.Kind[i] == 0 ? (short)-1 : (short)Math.Min(horizon, (int)(p.DayFraction + Draw(i, trialKey)));
            }

            Queue();

            var bins = p.Bins;
            for (var i = 0; i < n; i++)
            {
                monthly[_month[i] + 1]++;
            }

            _month.CopyTo(_block.AsSpan(_blockCount * n, n));
            if (++_blockCount == BlockTrials)
            {
                Flush();
            }

            short nation = -1;
            for (var r = 0; r < p.PrefectureCodes.Length; r++)
            {
                short prefecture = -1;
                for (var mu = p.PrefectureStart[r]; mu < p.PrefectureStart[r + 1]; mu++)
                {
                    short last = -1;
                    var hasTarget = false;
                    var allByTarget = true;
                    for (var i = p.MunicipalityStart[mu]; i < p.MunicipalityStart[mu + 1]; i++)
                    {
                        var m = _month[i];
                        if (m > last)
                        {
                            last = m;
                        }

                        var target = p.TargetMonth[i];
                        if (target != int.MinValue)
                        {
                            hasTarget = true;
                            // A system already migrated met its target, whenever that was.
                            allByTarget &= m == -1 || m <= target;
                        }
                    }

                    _municipalityMonth[mu] = last;
                    MunicipalityHistogram[(mu * bins) + last + 1]++;
                    if (hasTarget && allByTarget)
                    {
                        MunicipalityByTargets[mu]++;
                    }

                    if (last > prefecture)
                    {
                        prefecture = last;
                    }
                }

                PrefectureHistogram[(r * bins) + prefecture + 1]++;
                if (prefecture > nation)
                {
                    nation = prefecture;
                }

                if (keep is not null)
                {
                    (keep.Prefectures[trial] ??= new short[p.PrefectureCodes.Length])[r] = prefecture;
                }
            }

            NationHistogram[nation + 1]++;
            if (keep is not null)
            {
                keep.Systems[trial] = (short[])_month.Clone();
                keep.Municipalities[trial] = (short[])_municipalityMonth.Clone();
                keep.Nation[trial] = nation;
            }
        }

        /// <summary>
        /// Adds the buffered trials to the per-system histograms: system by system, so that one histogram row stays in
        /// cache for all the trials of the block (one scattered write per system and trial would miss the cache).
        /// </summary>
        public void Flush()
        {
            var n = _p.Systems.Length;
            var bins = _p.Bins;
            for (var i = 0; i < n; i++)
            {
                var row = SystemHistogram.AsSpan(i * bins, bins);
                for (var t = 0; t < _blockCount; t++)
                {
                    row[_block[(t * n) + i] + 1]++;
                }
            }

            _blockCount = 0;
        }

        // Months from the start of the as-of month until the system is ready to go live, before vendor capacity.
        private double Draw(int i, ulong trialKey)
        {
            var p = _p;
            var first = Mix(trialKey ^ p.Key[i]);
            var second = Mix(first);
            var u1 = (first >> 32) * (1.0 / 4294967296.0);
            var u2 = (first & 0xFFFFFFFFUL) * (1.0 / 4294967296.0);
            var u3 = Uniform(second);
            switch (p.Kind[i])
            {
                case 3:
                {
                    // A rate so small that the quotient overflows means never within any horizon (not NaN or -∞, which the cast makes month 0).
                    var months = Math.Log(1 - u1) / p.UnreportedLogRate;
                    return double.IsNaN(months) ? double.MaxValue : Math.Max(0, months);
                }
                case 2:
                {
                    var z = Conditional(NormalTable, p.SlipTail[i], u3, 0, 1, log: false);
                    var t = p.Gap[i] + p.SlipMean[i] + (p.SlipSd[i] * z);
                    return Math.Max(Math.Max(0, t), p.Floor[i]);
                }

                default:
                {
                    var d = p.CurrentPhase[i];
                    var total = Conditional(p.CurrentTable[i], p.ElapsedTail[i], u1, d.LogMean, d.LogSigma, log: true);
                    var rest = Math.Max(0, total - p.Elapsed[i]);
                    return rest + p.LaterTable[i][(int)(u2 * TableSize)];
                }
            }
        }

        // A draw from a distribution conditioned on being above a point where `tail` of its mass lies above: the table
        // where it has resolution, the inverse normal of the upper tail (Acklam's rational approximation) further out.
        private static double Conditional(double[] table, double tail, double u, double mean, double sigma, bool log)
        {
            if (tail > 8.0 / TableSize)
            {
                return table[Math.Min(TableSize - 1, (int)((1 - tail + (u * tail)) * TableSize))];
            }

            var x = mean - (sigma * InverseNormal(Math.Max(1e-300, (1 - u) * tail)));
            return log ? Math.Exp(x) : x;
        }

        // Vendor queues: systems ready in month order (stable), each vendor takes at most k a month.
        private void Queue()
        {
            var p = _p;
            var n = p.Systems.Length;
            var horizon = p.Horizon;
            Array.Clear(_bucketStart);
            var queued = 0;
            for (var i = 0; i < n; i++)
            {
                var ready = _ready[i];
                _month[i] = ready;
                if (ready >= 0 && p.VendorOf[i] >= 0)
                {
                    _bucketStart[ready + 1]++;
                    queued++;
                }
            }

            if (queued == 0)
            {
                return;
            }

            for (var b = 1; b < _bucketStart.Length; b++)
            {
                _bucketStart[b] += _bucketStart[b - 1];
            }

            for (var i = 0; i < n; i++)
            {
                var ready = _ready[i];
                if (ready >= 0 && p.VendorOf[i] >= 0)
                {
                    _order[_bucketStart[ready]++] = i;
                }
            }

            Array.Clear(_vendorMonth);
            Array.Clear(_vendorUsed);
            for (var j = 0; j < queued; j++)
            {
                var i = _order[j];
                var v = p.VendorOf[i];
                int m = _ready[i];
                if (m > _vendorMonth[v])
                {
                    _vendorMonth[v] = m;
                    _vendorUsed[v] = 0;
                }
                else
                {
                    m = _vendorMonth[v];
                }

                if (_vendorUsed[v] >= p.Capacity[v])
                {
                    m = ++_vendorMonth[v];
                    _vendorUsed[v] = 0;
                }

                _vendorUsed[v]++;
                var month = (short)Math.Min(horizon, m);
                if (month > _ready[i])
                {
                    VendorDelayed[v]++;
                    VendorDelayMonths[v] += month - _ready[i];
                }

                _month[i] = month;
            }
        }
    }

    private static readonly double[] NormalTable = Enumerable.Range(0, TableSize)
        .Select(i => Normal.InvCDF(0, 1, (i + 0.5) / TableSize)).ToArray();

    // Sums of all workers, and the per-trial monthly counts (each trial writes only its own row).
    private sealed class Accumulator(Prepared p)
    {
        private readonly int[] _monthly = new int[p.Options.Trials * p.Bins];
        private readonly int[] _system = new int[p.Systems.Length * p.Bins];
        private readonly int[] _municipality = new int[p.MunicipalityCodes.Length * p.Bins];
        private readonly int[] _prefecture = new int[p.PrefectureCodes.Length * p.Bins];
        private readonly int[] _nation = new int[p.Bins];
        private readonly int[] _byTargets = new int[p.MunicipalityCodes.Length];
        private readonly long[] _delayed = new long[p.Vendors.Length];
        private readonly long[] _delayMonths = new long[p.Vendors.Length];

        public Span<int> MonthlyRow(int trial) => _monthly.AsSpan(trial * p.Bins, p.Bins);

        public void Add(Worker w)
        {
            Sum(_system, w.SystemHistogram);
            Sum(_municipality, w.MunicipalityHistogram);
            Sum(_prefecture, w.PrefectureHistogram);
            Sum(_nation, w.NationHistogram);
            for (var i = 0; i < _byTargets.Length; i++)
            {
                _byTargets[i] += w.MunicipalityByTargets[i];
            }

            for (var v = 0; v < _delayed.Length; v++)
            {
                _delayed[v] += w.VendorDelayed[v];
                _delayMonths[v] += w.VendorDelayMonths[v];
            }
        }

        private static void Sum(int[] total, ushort[] part)
        {
            for (var i = 0; i < total.Length; i++)
            {
                total[i] += part[i];
            }
        }

        public ForecastResult Result(ForecastModel model, ForecastSamples? keep)
        {
            var o = p.Options;
            var trials = o.Trials;
            var bins = p.Bins;
            var systems = ImmutableArray.CreateBuilder<SystemForecast>(p.Systems.Length);
            for (var i = 0; i < p.Systems.Length; i++)
            {
                var s = p.Systems[i];
                var histogram = _system.AsSpan(i * bins, bins);
                double? byTarget = p.TargetMonth[i] == int.MinValue ? null : ShareAtOrBefore(histogram, p.TargetMonth[i], trials);
                systems.Add(new SystemForecast(s.MunicipalityCode, s.BusinessId, s.Phase, s.Vendor, s.OwnTarget, Band(histogram), byTarget));
            }

            var municipalities = ImmutableArray.CreateBuilder<MunicipalityForecast>(p.MunicipalityCodes.Length);
            for (var m = 0; m < p.MunicipalityCodes.Length; m++)
            {
                var start = p.MunicipalityStart[m];
                var end = p.MunicipalityStart[m + 1];
                var targets = Enumerable.Range(start, end - start).Select(i => p.Systems[i].OwnTarget).Where(t => t is not null).ToList();
                municipalities.Add(new MunicipalityForecast(
                    p.MunicipalityCodes[m],
                    end - start,
                    Enumerable.Range(start, end - start).Count(i => p.Kind[i] != 0),
                    Band(_municipality.AsSpan(m * bins, bins)),
                    targets.Count == 0 ? null : _byTargets[m] / (double)trials,
                    targets.Max()));
            }

            var prefectures = ImmutableArray.CreateBuilder<AreaForecast>(p.PrefectureCodes.Length);
            for (var r = 0; r < p.PrefectureCodes.Length; r++)
            {
                var start = p.MunicipalityStart[p.PrefectureStart[r]];
                var end = p.MunicipalityStart[p.PrefectureStart[r + 1]];
                prefectures.Add(new AreaForecast(
                    p.PrefectureCodes[r],
                    end - start,
                    Enumerable.Range(start, end - start).Count(i => p.Kind[i] != 0),
                    Band(_prefecture.AsSpan(r * bins, bins))));
            }

            var nation = new AreaForecast("00", p.Systems.Length, p.Kind.Count(k => k != 0), Band(_nation));

            var months = Math.Min(p.Horizon - 1, p.DeadlineMonth);
            var monthly = ImmutableArray.CreateBuilder<MonthlyShare>(Math.Max(0, months + 1));
            var shares = new double[trials];
            var total = Math.Max(1, p.Systems.Length);
            for (var m = 0; m <= months; m++)
            {
                for (var t = 0; t < trials; t++)
                {
                    var row = _monthly.AsSpan(t * bins, bins);
                    var done = 0;
                    for (var b = 0; b <= m + 1; b++)
                    {
                        done += row[b];
                    }

                    shares[t] = done / (double)total;
                }

                var sorted = shares.Order().ToArray();
                monthly.Add(new MonthlyShare(MonthEnd(m), shares.Average(), Quantile(sorted, 0.1), Quantile(sorted, 0.9)));
            }

            var waiting = new int[p.Vendors.Length];
            for (var i = 0; i < p.Systems.Length; i++)
            {
                if (p.VendorOf[i] >= 0 && p.Kind[i] != 0)
                {
                    waiting[p.VendorOf[i]]++;
                }
            }

            var vendors = Enumerable.Range(0, p.Vendors.Length)
                .Select(v => new VendorQueue(
                    p.Vendors[v],
                    p.Capacity[v],
                    p.CapacitySet[v],
                    waiting[v],
                    _delayed[v] / (double)trials,
                    _delayed[v] == 0 ? 0 : _delayMonths[v] / (double)_delayed[v]))
                .OrderByDescending(v => v.ExpectedDelayedSystems)
                .ThenBy(v => v.Vendor, StringComparer.Ordinal)
                .ToImmutableArray();

            return new ForecastResult
            {
                AsOf = o.AsOf,
                Seed = o.Seed,
                Trials = trials,
                HorizonMonths = p.Horizon,
                Deadline = o.Deadline,
                HorizonEnd = MonthEnd(p.Horizon - 1),
                Model = model,
                Systems = systems.MoveToImmutable(),
                Municipalities = municipalities.MoveToImmutable(),
                Prefectures = prefectures.MoveToImmutable(),
                Nation = nation,
                Monthly = monthly.ToImmutable(),
                Vendors = vendors,
                Samples = keep,
            };
        }

        private ForecastBand Band(ReadOnlySpan<int> histogram)
        {
            var trials = p.Options.Trials;
            if (histogram[0] == trials)
            {
                return new ForecastBand(true, null, null, null, 1);
            }

            return new ForecastBand(
                false,
                Date(QuantileMonth(histogram, 0.1, trials)),
                Date(QuantileMonth(histogram, 0.5, trials)),
                Date(QuantileMonth(histogram, 0.9, trials)),
                ShareAtOrBefore(histogram, p.DeadlineMonth, trials));
        }

        private DateOnly? Date(int month) => month >= p.Horizon ? null : MonthEnd(Math.Max(0, month));

        private DateOnly MonthEnd(int month) => p.FirstMonth.AddMonths(month + 1).AddDays(-1);
    }

    /// <summary>The month index (−1 migrated .. horizon) at which the cumulative share of trials reaches <paramref name="q"/>.</summary>
    private static int QuantileMonth(ReadOnlySpan<int> histogram, double q, int trials)
    {
        var needed = Math.Max(1, (int)Math.Ceiling(q * trials));
        var sum = 0;
        for (var b = 0; b < histogram.Length; b++)
        {
            sum += histogram[b];
            if (sum >= needed)
            {
                return b - 1;
            }
        }

        return histogram.Length - 2;
    }

    private static double ShareAtOrBefore(ReadOnlySpan<int> histogram, int month, int trials)
    {
        var sum = 0;
        for (var b = 0; b < histogram.Length - 1 && (b == 0 || b - 1 <= month); b++)
        {
            sum += histogram[b];
        }

        return sum / (double)trials;
    }

    private static double Quantile(double[] sorted, double q) =>
        sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Length) - 1, 0, sorted.Length - 1)];

    /// <summary>The month index of a day relative to the month <paramref name="firstMonth"/> starts (0 = same month).</summary>
    public static int MonthIndex(DateOnly firstMonth, DateOnly day) =>
        ((day.Year - firstMonth.Year) * 12) + day.Month - firstMonth.Month;

    // P(Z > z) for a standard normal Z, accurate far into the tail.
    private static double UpperTail(double z) => 0.5 * MathNet.Numerics.SpecialFunctions.Erfc(z / Math.Sqrt(2));

    /// <summary>
    /// ln(1 − x) for x in (0, 1) without cancellation: 1 − x rounds to 1 for x below ~1.1e-16, so Math.Log(1 − x) is 0
    /// there (a rate of 1e-17 then read as "done at once"); below 1e-4 the series −x − x²/2 − x³/3 (relative error under 1e-12).
    /// </summary>
    public static double LogOneMinus(double x) => x < 1e-4 ? -(x + (x * x / 2) + (x * x * x / 3)) : Math.Log(1 - x);

    /// <summary>The standard normal quantile of p in (0, 1): Acklam's algorithm (relative error below 1.2e-9).</summary>
    public static double InverseNormal(double p)
    {
        const double low = 0.02425;
        if (p < low)
        {
            var q = Math.Sqrt(-2 * Math.Log(p));
            return Tail(q);
        }

        if (p > 1 - low)
        {
            var q = Math.Sqrt(-2 * Math.Log(1 - p));
            return -Tail(q);
        }

        var c = p - 0.5;
        var r = c * c;
        return (((((((((((-3.969683028665376e+01 * r) + 2.209460984245205e+02) * r) - 2.759285104469687e+02) * r) + 1.383577518672690e+02) * r) - 3.066479806614716e+01) * r) + 2.506628277459239e+00) * c)
            / (((((((((-5.447609879822406e+01 * r) + 1.615858368580409e+02) * r) - 1.556989798598866e+02) * r) + 6.680131188771972e+01) * r) - 1.328068155288572e+01) * r + 1);

        static double Tail(double q) =>
            ((((((((((-7.784894002430293e-03 * q) - 3.223964580411365e-01) * q) - 2.400758277161838e+00) * q) - 2.549732539343734e+00) * q) + 4.374664141464968e+00) * q) + 2.938163982698783e+00)
            / ((((((((7.784695709041462e-03 * q) + 3.224671290700398e-01) * q) + 2.445134137142996e+00) * q) + 3.754408661907416e+00) * q) + 1);
    }

    private static ulong Mix(ulong z)
    {
        z += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    // In [0, 1), 53 bits.
    private static double Uniform(ulong bits) => (bits >> 11) * (1.0 / (1UL << 53));

    private static ulong Fnv(string municipality, string business)
    {
        var hash = 14695981039346656037UL;
        foreach (var c in municipality)
        {
            hash = (hash ^ c) * 1099511628211UL;
        }

        hash = (hash ^ '/') * 1099511628211UL;
        foreach (var c in business)
        {
            hash = (hash ^ c) * 1099511628211UL;
        }

        return hash;
    }
}
