#!/usr/bin/env Rscript
# Reference vectors for zhijian/analytics/signals.py::farrington_flexible.
#
# Runs surveillance::farringtonFlexible (Noufaily et al. 2012 settings and
# one variant per series) on fixed weekly series and writes, per series, the
# input counts and, per control setting, the per-week output (upperbound,
# expected, alarm, ...) as CSV into zhijian/analytics/tests/data/.
#
# CI does not run R: the Python tests read the committed CSV files.  Rerun
# by hand after changing this script:
#   Rscript scripts/surveillance_vectors.R            (from the repository root)
# Produced with R 4.2.2 and surveillance 1.20.3 (Debian r-cran-surveillance).
suppressMessages(library(surveillance))

out <- file.path("zhijian", "analytics", "tests", "data")
dir.create(out, showWarnings = FALSE, recursive = TRUE)

fmt <- function(x) ifelse(is.na(x), "NA", trimws(formatC(x, digits = 17, format = "g")))

write_series <- function(name, sts) {
  obs <- as.vector(observed(sts))
  df <- data.frame(t = seq_along(obs), observed = obs)
  if (sts@epochAsDate) df$date <- format(epoch(sts))
  write.csv(df, file.path(out, paste0(name, "_series.csv")), row.names = FALSE, quote = FALSE)
}

write_vectors <- function(name, sts, control) {
  res <- farringtonFlexible(sts, control = control)
  rng <- control$range
  df <- data.frame(
    t = rng,
    observed = as.vector(observed(res)),
    upperbound = fmt(as.vector(upperbound(res))),
    expected = fmt(as.vector(res@control$expected)),
    alarm = as.integer(as.vector(alarms(res))),
    score = fmt(as.vector(res@control$score)),
    pvalue = fmt(as.vector(res@control$pvalue)),
    phi = fmt(as.vector(res@control$phiVector)),
    trend = as.integer(!is.na(as.vector(res@control$trendVector))),
    trend_coef = fmt(as.vector(res@control$trendVector))
  )
  if (sts@epochAsDate) df$date <- format(epoch(res))
  write.csv(df, file.path(out, paste0(name, ".csv")), row.names = FALSE, quote = FALSE)
  cat(name, ": ", nrow(df), " weeks, ", sum(df$alarm, na.rm = TRUE), " alarms\n", sep = "")
}

# Noufaily et al. (2012) settings as advised in ?farringtonFlexible.
noufaily <- list(b = 5, w = 3, reweight = TRUE, weightsThreshold = 2.58,
                 alpha = 0.05, trend = TRUE, pThresholdTrend = 1,
                 limit54 = c(5, 4), noPeriods = 10, pastWeeksNotIncluded = 26,
                 thresholdMethod = "nbPlugin", glmWarnings = FALSE)

# 1. S. Newport in Germany (package data, weekly with dates), national sum.
data("salmNewport")
newport <- aggregate(salmNewport, by = "unit")
write_series("salmnewport", newport)
n <- nrow(observed(newport))
write_vectors("salmnewport_noufaily", newport,
              modifyList(noufaily, list(range = (n - 155):n)))
# Original-style options: no seasonal factor, weightsThreshold 1, trend test
# at 0.05, pastWeeksNotIncluded = w.
write_vectors("salmnewport_original", newport,
              modifyList(noufaily, list(range = (n - 155):n, noPeriods = 1,
                                        weightsThreshold = 1,
                                        pThresholdTrend = 0.05,
                                        pastWeeksNotIncluded = 3)))

# 2. Seeded simulated weekly series, 8 years, no dates (week index),
#    seasonality, a mild upward trend, an outbreak in year 7 and one in year 8.
set.seed(20240417)
weeks <- 8 * 52
tt <- seq_len(weeks)
mu <- exp(2.2 + 0.0015 * tt + 0.6 * sin(2 * pi * tt / 52) + 0.3 * cos(2 * pi * tt / 52))
y <- rnbinom(weeks, mu = mu, size = 8)
y[330:335] <- y[330:335] + c(6, 12, 20, 16, 9, 4)
y[390:393] <- y[390:393] + c(10, 25, 18, 7)
sim <- sts(observed = y, frequency = 52, start = c(2016, 1))
write_series("simulated", sim)
write_vectors("simulated_noufaily", sim,
              modifyList(noufaily, list(range = (5 * 52 + 4):weeks)))
write_vectors("simulated_trend_muan", sim,
              modifyList(noufaily, list(range = (5 * 52 + 4):weeks,
                                        pThresholdTrend = 0.05,
                                        thresholdMethod = "muan")))
