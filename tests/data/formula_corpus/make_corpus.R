#!/usr/bin/env Rscript
## make_corpus.R -- reference corpus of lme4-style formulas and what lme4 builds
## for each, for bayeslme's Python tests (which run without R).
##
## Run by hand, never in CI:
##     cd tests/data/formula_corpus && Rscript make_corpus.R
##
## Needs R with lme4, jsonlite, nlme, MASS, glmmTMB, brms, mlmRev, geepack.
## Writes (relative to this folder):
##     datasets/<name>.csv, datasets/schema.json   data used by the corpus
##     corpus.json        one entry per formula, with lme4's model structure
##     covstruct.json     lme4 2.0 covariance-structure spellings, built with glmmTMB
##     corpus_meta.json   package versions and the control settings used
##     ../orthodont_lme4.json, ../penicillin_lme4.json  REML reference fits
##     ../orthodont.csv, ../penicillin.csv
##
## CSV conventions (see write_dataset()): row.names = FALSE; NA is an empty
## field; factor, ordered and character columns are written quoted as their
## labels (read them in Python with dtype=str and rebuild the categories from
## schema.json, otherwise labels such as "01" lose their leading zero);
## numbers are written with the fewest digits (15 or 17) that read back to the
## identical double; logicals as TRUE/FALSE.
##
## Formulas are evaluated in an environment whose parent is the global
## environment with only lme4 and splines attached (glmmTMB and brms are used
## through `::` for their data sets), so brms/glmmTMB-only functions such as
## gr(), cs() or ar1() are *not* visible, as for a plain lme4 user.

suppressPackageStartupMessages({
    library(lme4)
    library(jsonlite)
})
library(splines)   # ns() appears in real lme4 test formulas

stopifnot(packageVersion("lme4") >= "1.1.31")

if (basename(getwd()) != "formula_corpus" || !file.exists("make_corpus.R"))
    stop("run from tests/data/formula_corpus: cd tests/data/formula_corpus && Rscript make_corpus.R")
here <- "."
ds_dir <- file.path(here, "datasets")
dir.create(ds_dir, showWarnings = FALSE)

## ---------------------------------------------------------------------------
## Data sets
## ---------------------------------------------------------------------------

DATA <- list()
DATA_SOURCE <- list()
add_data <- function(name, df, source) {
    df <- as.data.frame(df)
    ## plain data.frame: drop groupedData/expand.grid extras and column attributes
    n <- nrow(df)
    cols <- lapply(df, function(x) {
        keep <- attributes(x)[intersect(names(attributes(x)), c("levels", "class"))]
        attributes(x) <- if (length(keep)) keep else NULL
        x
    })
    df <- structure(cols, names = names(df), class = "data.frame", row.names = .set_row_names(n))
    DATA[[name]] <<- df
    DATA_SOURCE[[name]] <<- source
    invisible(df)
}
pkg_data <- function(name, package) {
    e <- new.env()
    data(list = name, package = package, envir = e)
    as.data.frame(get(name, envir = e))
}

## lme4
for (nm in c("sleepstudy", "cbpp", "Penicillin", "Dyestuff", "Dyestuff2",
             "Pastes", "cake", "grouseticks", "VerbAgg", "Arabidopsis"))
    add_data(nm, pkg_data(nm, "lme4"), paste0("lme4::", nm))

set.seed(20240611)
ie <- pkg_data("InstEval", "lme4")
add_data("InstEval_4000", ie[sort(sample(nrow(ie), 4000)), ],
         "lme4::InstEval, random subset of 4000 rows (set.seed(20240611); sort(sample(nrow, 4000)))")
rm(ie)

## data sets shipped in lme4's testdata folder (used by lme4's own tests)
local({
    e <- new.env()
    load(system.file("testdata", "gopherdat2.RData", package = "lme4"), envir = e)
    add_data("gopherdat2", e$Gdat, "lme4 testdata/gopherdat2.RData (object Gdat), used in lme4 tests/testthat/test-glmer.R")
    e <- new.env()
    load(system.file("testdata", "culcita_dat.RData", package = "lme4"), envir = e)
    add_data("culcita_dat", e$culcita_dat, "lme4 testdata/culcita_dat.RData, used in lme4 tests/bootMer.R")
    e <- new.env()
    load(system.file("testdata", "trees513.RData", package = "lme4"), envir = e)
    add_data("trees513B", e$trees513B, "lme4 testdata/trees513.RData (object trees513B), used in lme4 tests/HSAURtrees.R")
})

## data sets derived exactly as lme4's examples/tests derive them
ss <- DATA$sleepstudy
d <- ss; d$Reaction[1:3] <- NA
add_data("sleepstudyNA", d, "lme4 ?refit example: sleepstudy with Reaction[1:3] <- NA")
d <- ss; names(d)[1] <- "Reaction Time"
add_data("sleepstudy_rt", d, "lme4 tests/testthat/test-methods.R: sleepstudy with names(d)[1] <- \"Reaction Time\"")
add_data("sleepstudy_obs", transform(ss, obs = seq(nrow(ss))),
         "lme4 tests/testthat/test-lmer.R: transform(sleepstudy, obs = seq(nrow(sleepstudy)))")
d <- transform(ss, Reaction = as.character(Reaction))
d <- transform(d, rr = rep(c(TRUE, FALSE), length.out = nrow(d)))
add_data("sleepstudy_chr", d,
         "lme4 tests/testthat/test-glmer.R: Reaction as character, rr = rep(c(TRUE, FALSE), length.out = nrow)")
d <- ss
set.seed(1234567)
d$age <- as.factor(sample(1:3, length(d), rep = TRUE))  # length(d) is 3 (columns), recycled as in the test
add_data("sleepstudy_age", d, "lme4 tests/testthat/test-predict.R ('only drop columns when using new data'): set.seed(1234567); age <- as.factor(sample(1:3, length(sleep), rep=TRUE))")
d <- ss; d$Daysf <- factor(d$Days, ordered = TRUE)
add_data("sleepstudy_daysf", d, "lme4 (>= 2.0) ?Covariance-class example: sleepstudy$Daysf <- factor(sleepstudy$Days, ordered = TRUE)")
add_data("sleepstudy_308", subset(ss, Subject == levels(Subject)[1]),
         "lme4 tests/testthat/test-lmer.R: subset(sleepstudy, Subject == levels(Subject)[1]) (one grouping level)")
d <- ss; d$Days <- NA_real_
add_data("sleepstudy_daysNA", d, "lme4 tests/testthat/test-lmer.R (GH 533): sleepstudy with Days <- NA_real_")

cb <- DATA$cbpp
add_data("cbpp_obs", transform(cb, obs = 1:nrow(cb)), "lme4 ?cbpp example: cbpp$obs <- 1:nrow(cbpp)")
d <- cb; d$`silly period` <- d$period
add_data("cbpp_silly", d, "lme4 tests/testthat/test-predict.R: cbpp$`silly period` <- cbpp$period")
add_data("cbpp_herd1", subset(cb, herd == levels(herd)[1]),
         "lme4 tests/testthat/test-glmer.R: subset(cbpp, herd == levels(herd)[1]) (one grouping level)")

## synthetic data sets re-created (own code) after the recipes in lme4's tests
set.seed(101)
n <- 20
x <- rnorm(n)
add_data("rank_xy", data.frame(x = x, y = x, z = rnorm(n), r = sample(1:5, size = n, replace = TRUE)),
         "synthetic, recipe of lme4 tests/testthat/test-rank.R: y identical to x, r integer 1..5 (set.seed(101))")
d2 <- expand.grid(a = factor(1:4), b = factor(1:4), rep = 1:10)
d2 <- transform(d2, r = sample(1:5, size = nrow(d2), replace = TRUE), z = rnorm(nrow(d2)))
d2 <- subset(d2, !(a == "4" & b == "4"))
add_data("rank_ab", d2, "synthetic, recipe of lme4 tests/testthat/test-rank.R: 4x4 factorial with the a=4,b=4 cell empty")
set.seed(7); n <- 100; y <- rnorm(n)
add_data("rank_const", data.frame(id = factor(sample(10, n, replace = TRUE)), x1 = 1, y = y,
                                  x2 = rnorm(n, mean = sign(y))),
         "synthetic, recipe of lme4 tests/testthat/test-predict.R: x1 constant 1 (set.seed(7))")
set.seed(1)
add_data("lagoon", within(data.frame(lagoon = factor(rep(1:4, each = 25)),
                                     habitat = factor(rep(1:20, each = 5))),
                          y <- round(10 * rnorm(100, m = 10 * as.numeric(lagoon)))),
         "synthetic, recipe of lme4 tests/lmer-1.R ('Invalid factor specification'), set.seed(1)")
set.seed(2)
add_data("ff_D", data.frame(y = round(rnorm(12), 2), ff = gl(3, 4), x1 = round(rnorm(12, 3), 1),
                            x2 = round(rnorm(12, 7), 1)),
         "synthetic, shaped like data D of lme4 tests/lmer-1.R (y, ff with 3 levels, x1, x2; 12 rows)")
add_data("animal_id", expand.grid(y = 1:3, "Animal ID" = 1:9),
         "lme4 ?predict.merMod example: expand.grid(y=1:3, \"Animal ID\"=1:9)")
set.seed(101)
d <- expand.grid(f = factor(letters[1:10]), g = factor(letters[1:10]), rep = 1:10)
d$y <- rnorm(nrow(d))
add_data("predsim_fg", d, "lme4 tests/predsim.R: expand.grid(f, g = letters[1:10], rep = 1:10), y ~ N(0,1), set.seed(101)")
set.seed(101)
d <- expand.grid(block = LETTERS[1:26], rep = 1:20)
d$x <- runif(nrow(d))
reff <- rnorm(26)
d$y <- rnorm(nrow(d), mean = 4 + 3 * d$x + reff[d$block])
add_data("offset_block", d, "synthetic, recipe of lme4 tests/offset.R (block = LETTERS[1:26]; 20 instead of 100 replicates to keep the file small)")
set.seed(101)
n <- 200
add_data("gh457", data.frame(x = 1:n, f = factor(rep(1:10, n / 10)), g = factor(rep(1:20, each = n / 20)),
                             h = factor(rep(1:5, n / 5)), y = rnorm(n)),
         "lme4 tests/testthat/test-predict.R (GH 457): x=1:200, f, g, h factors, y ~ N(0,1), set.seed(101)")

## nlme (groupedData -> data.frame; grouping factors stay ordered factors as nlme has them)
for (nm in c("Orthodont", "Oats", "Rail", "Machines", "ergoStool", "Pixel", "BodyWeight"))
    add_data(nm, pkg_data(nm, "nlme"), paste0("nlme::", nm, " (as.data.frame of the groupedData)"))
d <- DATA$Orthodont
d$nsex <- as.numeric(d$Sex == "Male")
d$nsexage <- with(d, nsex * age)
add_data("Orthodont_nsex", d, "lme4 ?lmer example: Orthodont$nsex <- as.numeric(Sex == \"Male\"); nsexage <- nsex*age")

## MASS
for (nm in c("bacteria", "epil", "Sitka"))
    add_data(nm, pkg_data(nm, "MASS"), paste0("MASS::", nm))

## glmmTMB
add_data("Salamanders", pkg_data("Salamanders", "glmmTMB"), "glmmTMB::Salamanders")
ow <- pkg_data("Owls", "glmmTMB")
add_data("Owls", ow, "glmmTMB::Owls")
add_data("Owls_vignette", transform(ow, Nest = reorder(Nest, NegPerChick), NCalls = SiblingNegotiation,
                                    FT = FoodTreatment),
         "glmmTMB vignette('glmmTMB'): transform(Owls, Nest=reorder(Nest,NegPerChick), NCalls=SiblingNegotiation, FT=FoodTreatment); Nest levels are therefore not sorted")
rm(ow)

## brms
for (nm in c("epilepsy", "kidney", "inhaler"))
    add_data(nm, pkg_data(nm, "brms"), paste0("brms::", nm))

## mlmRev (used in lme4's own tests) and geepack (statsmodels' MixedLM example)
ct <- pkg_data("Contraception", "mlmRev")
add_data("Contraception", ct, "mlmRev::Contraception (district has 60 levels labelled 1..61 without 54)")
add_data("Contraception_ch", within(ct, ch <- livch != "0"),
         "lme4 tests/glmerWarn.R: within(Contraception, ch <- livch != \"0\") (logical ch)")
rm(ct)
add_data("dietox", pkg_data("dietox", "geepack"), "geepack::dietox (Feed has NAs; not used by the formulas)")

## own synthetic data for features no shipped data set has
set.seed(20240612)
n_site <- 12; n_plot <- 3; n_visit <- 5
syn <- expand.grid(visit = 1:n_visit, plot = c("A", "B", "C"), site = sprintf("%02d", 1:n_site),
                   stringsAsFactors = FALSE)
syn$`plot ID` <- paste0(syn$site, "-", syn$plot)
syn$plot <- NULL
syn$site <- factor(syn$site)                              # labels "01".."12"
syn$`plot ID` <- factor(syn$`plot ID`, levels = sample(unique(syn$`plot ID`)))  # unsorted levels
syn$visit <- factor(syn$visit, levels = 1:n_visit, ordered = TRUE)         # equally spaced times
syn$treatment <- factor(sample(c("control", "low", "high"), nrow(syn), replace = TRUE),
                        levels = c("control", "low", "high"))                # non-alphabetical levels
syn$fenced <- sample(c(TRUE, FALSE), nrow(syn), replace = TRUE)             # logical
syn$observer <- sample(c("ann", "bo", "cy", "dee"), nrow(syn), replace = TRUE) # character
syn$area <- round(runif(nrow(syn), 0.5, 4), 3)                               # exposure
syn$x <- round(rnorm(nrow(syn)), 3)
site_eff <- rnorm(n_site, sd = 0.5)
eta <- 0.3 + 0.4 * syn$x + site_eff[as.integer(syn$site)] +
    c(control = 0, low = 0.2, high = 0.5)[as.character(syn$treatment)]
syn$y <- rpois(nrow(syn), exp(eta) * syn$area)
syn$x[c(4, 27, 99, 130, 171)] <- NA
syn$y[c(11, 58, 140)] <- NA
syn$site[c(77)] <- NA
add_data("synth_counts", syn[, c("site", "plot ID", "visit", "treatment", "fenced", "observer",
                                 "area", "x", "y")],
         "own synthetic data (set.seed(20240612)): 12 sites ('01'..'12') x 3 plots x 5 visits; `plot ID` with a space and unsorted levels; visit ordered 1<..<5; treatment levels control, low, high; fenced logical; observer character; area exposure; NAs in x (5), y (3), site (1)")

## ---------------------------------------------------------------------------
## Writing data sets and schema
## ---------------------------------------------------------------------------

col_type <- function(x) {
    if (is.ordered(x)) "ordered"
    else if (is.factor(x)) "factor"
    else if (is.logical(x)) "logical"
    else if (is.integer(x)) "integer"
    else if (is.double(x)) "numeric"
    else if (is.character(x)) "character"
    else stop("unsupported column class: ", paste(class(x), collapse = "/"))
}

## shortest of 15 or 17 significant digits that reads back identically
fmt_double <- function(x) {
    out <- rep(NA_character_, length(x))
    ok <- !is.na(x)
    stopifnot(all(is.finite(x[ok])))
    s <- formatC(x[ok], digits = 15, format = "g")
    bad <- as.numeric(s) != x[ok]
    s[bad] <- formatC(x[ok][bad], digits = 17, format = "g")
    out[ok] <- trimws(s)
    out
}

write_dataset <- function(name, df, dir = ds_dir, file = file.path(dir, paste0(name, ".csv"))) {
    types <- vapply(df, col_type, "")
    out <- df
    for (j in seq_along(df)) {
        x <- df[[j]]
        out[[j]] <- switch(types[[j]],
                           numeric = fmt_double(x),
                           integer = ifelse(is.na(x), NA, as.character(x)),
                           logical = ifelse(is.na(x), NA, ifelse(x, "TRUE", "FALSE")),
                           as.character(x))
    }
    quote_cols <- which(types %in% c("factor", "ordered", "character"))
    write.csv(out, file, row.names = FALSE, na = "", quote = if (length(quote_cols)) quote_cols else FALSE)
    cols <- lapply(seq_along(df), function(j) {
        x <- df[[j]]
        if (types[[j]] %in% c("factor", "ordered"))
            list(type = types[[j]], levels = I(levels(x)))
        else list(type = types[[j]])
    })
    names(cols) <- names(df)
    list(n_rows = nrow(df), columns = cols)
}

## read a CSV back using the schema, the way the Python side will
read_dataset <- function(file, sch) {
    cls <- vapply(sch$columns, function(cc) switch(cc$type, numeric = "numeric", integer = "integer",
                                                   logical = "logical", "character"), "")
    df <- read.csv(file, check.names = FALSE, colClasses = cls, na.strings = "")
    for (nm in names(sch$columns)) {
        cc <- sch$columns[[nm]]
        if (cc$type %in% c("factor", "ordered"))
            df[[nm]] <- factor(df[[nm]], levels = unclass(cc$levels), ordered = cc$type == "ordered")
    }
    df
}

schema <- list()
for (nm in names(DATA)) {
    schema[[nm]] <- write_dataset(nm, DATA[[nm]])
    back <- read_dataset(file.path(ds_dir, paste0(nm, ".csv")), schema[[nm]])
    chk <- all.equal(DATA[[nm]], back, check.attributes = TRUE, tolerance = 0)
    if (!isTRUE(chk)) stop("CSV round trip failed for ", nm, ": ", paste(chk, collapse = "; "))
}
writeLines(toJSON(schema, auto_unbox = TRUE, pretty = TRUE, digits = NA), file.path(ds_dir, "schema.json"))
writeLines(toJSON(DATA_SOURCE, auto_unbox = TRUE, pretty = TRUE), file.path(ds_dir, "sources.json"))

## ---------------------------------------------------------------------------
## Corpus entries
## ---------------------------------------------------------------------------

ENTRIES <- list()
E <- function(id, dataset, formula, family = "gaussian", source, note = NULL) {
    if (id %in% vapply(ENTRIES, `[[`, "", "id")) stop("duplicate id ", id)
    if (!dataset %in% names(DATA)) stop("unknown data set ", dataset)
    ENTRIES[[length(ENTRIES) + 1L]] <<- list(id = id, source = source, dataset = dataset,
                                            formula = formula, family = family, note = note)
}
LME4_TESTS <- "lme4 GitHub repo lme4/lme4 (commit 32b5bfd), "
GLMMTMB_REPO <- "glmmTMB GitHub repo glmmTMB/glmmTMB (commit 73f6f34), "
BRMS_REPO <- "brms GitHub repo paul-buerkner/brms (commit 29ccd23), "
SM_NB <- "statsmodels examples/notebooks/mixed_lm_example.ipynb (lme4 comparison cells)"
NLME_CH01 <- "nlme scripts/ch01.R (Pinheiro & Bates 2000), lme() call translated to lme4 syntax: "

## --- lme4 help pages, vignettes, JSS paper -------------------------------
E("dyestuff_unparen", "Dyestuff", "Yield ~ 1|Batch", source = "lme4 ?Dyestuff example (fm1); JSS paper",
  note = "unparenthesized bar: parsed as Yield ~ (1 | Batch)")
E("dyestuff2_unparen", "Dyestuff2", "Yield ~ 1|Batch", source = "lme4 ?Dyestuff example (fm2)")
E("sleep_fm1", "sleepstudy", "Reaction ~ Days + (Days | Subject)", source = "lme4 ?lmer example; JSS paper (fm1); lmer vignette")
E("sleep_fm1_nospace", "sleepstudy", "Reaction ~ Days + (Days|Subject)", source = "lme4 ?lmer / ?predict.merMod examples",
  note = "same model as sleep_fm1 without spaces; Ztlist names are deparsed so they match")
E("sleep_dblbar", "sleepstudy", "Reaction ~ Days + (Days || Subject)", source = "lme4 ?lmer example (fm2); JSS paper",
  note = "double bar: split into (1 | Subject) + (0 + Days | Subject)")
E("sleep_indep_terms", "sleepstudy", "Reaction ~ Days + (1|Subject) + (0+Days|Subject)",
  source = "lme4 ?sleepstudy example (fm2); ?ranef; JSS paper")
E("sleep_unparen_intercept", "sleepstudy", "Reaction ~ 1|Subject", source = "lme4 ?ngrps example")
E("sleep_quadratic_re_only", "sleepstudy", "Reaction ~ (Days + I(Days^2) | Subject)",
  source = "lme4 vignette lmer.Rnw (JSS paper, lFormula(...)$reTrms$theta chunk)",
  note = "only a random term: fixed part is the implicit intercept; I(x^2) inside the bar")
E("sleep_explicit_ones", "sleepstudy", "Reaction ~ 1 + Days + (1 + Days | Subject)",
  source = paste0(LME4_TESTS, "tests/testthat/test-lmer.R"))
E("sleep_bambi", "sleepstudy", "Reaction ~ 1 + Days + (Days | Subject)",
  source = "bambi tests/docs (bmb.Model(\"Reaction ~ 1 + Days + (Days | Subject)\", sleepstudy))")
E("pastes_crossed", "Pastes", "strength ~ (1|batch) + (1|sample)", source = "lme4 ?Pastes example (fm1)")
E("pastes_nested_slash", "Pastes", "strength ~ (1|batch/cask)", source = "lme4 ?Pastes example (fm2); ?ngrps",
  note = "a/b expands to (1|batch) + (1|cask:batch)")
E("pastes_explicit_colon", "Pastes", "strength ~ (1|batch) + (1|batch:cask)", source = "lme4 ?Pastes example (fm3)")
E("pastes_batch_sample", "Pastes", "strength ~ (1|batch/sample)", source = "lme4 ?Pastes example (fm4)")
E("pastes_cask_crossed", "Pastes", "strength ~ (1|batch) + (1|cask)", source = "lme4 ?Pastes example (fm5)")
E("pastes_factor_slope", "Pastes", "strength ~ 1 + (cask | batch)", source = paste0(LME4_TESTS, "tests/profile-tst.R"),
  note = "factor on the left of the bar with an intercept: treatment-coded columns")
E("penicillin", "Penicillin", "diameter ~ (1|plate) + (1|sample)", source = "lme4 ?Penicillin example; JSS paper")
E("penicillin_explicit", "Penicillin", "diameter ~ 1 + (1|plate) + (1|sample)",
  source = paste0(LME4_TESTS, "tests/testthat/test-methods.R; tests/varcorr.R"))
E("penicillin_duplicate_term", "Penicillin", "diameter ~ (1|plate) + (1|plate) + (1|sample)",
  source = paste0(LME4_TESTS, "tests/testthat/test-methods.R"), note = "the same term twice: lme4 keeps both")
E("orthodont_slope", "Orthodont", "distance ~ age + (age|Subject)", source = "lme4 ?lmer / ?VarCorr examples",
  note = "nlme Orthodont: Subject is an ordered factor")
E("orthodont_nsex", "Orthodont_nsex", "distance ~ age + (age|Subject) + (0+nsex|Subject) + (0 + nsexage|Subject)",
  source = "lme4 ?lmer example (Orthodont with nsex, nsexage)", note = "three terms on one factor")
E("orthodont_dummy", "Orthodont", "distance ~ age + (age|Subject) + (0+dummy(Sex, \"Female\")|Subject)",
  source = "lme4 ?dummy example", note = "lme4::dummy() with a quoted level inside the bar")
E("verbagg_pairwise", "VerbAgg", "r2 ~ (Anger + Gender + btype + situ)^2 + (1|id) + (1|item)", family = "binomial",
  source = "lme4 ?VerbAgg example (fmVA); brms overview vignette Table (lme4 vs brms syntax)",
  note = "(a + b + c + d)^2 expansion; factor response")
E("cbpp_cbind", "cbpp", "cbind(incidence, size - incidence) ~ period + (1 | herd)", family = "binomial",
  source = "lme4 ?glmer / ?cbpp examples; JSS paper; brms overview Table")
E("cbpp_prop", "cbpp", "incidence / size ~ period + (1 | herd)", family = "binomial",
  source = "lme4 ?cbpp example (m1p, with weights = size)", note = "proportion response; the prior weights (size) are not part of the recorded structure")
E("cbpp_olre", "cbpp_obs", "cbind(incidence, size - incidence) ~ period + (1 | herd) +  (1|obs)", family = "binomial",
  source = "lme4 ?cbpp example (m2)", note = "observation-level random effect, obs is integer 1..56")
E("cake_fm1", "cake", "angle ~ recipe * temperature + (1|recipe:replicate)", source = "lme4 ?cake example (fm1); brms overview Table",
  note = "temperature is an ordered factor: polynomial contrasts (.L .Q .C ^4 ^5)")
E("cake_fm2", "cake", "angle ~ recipe + temperature + (1|recipe:replicate)", source = "lme4 ?cake example (fm2)")
E("cake_fm3", "cake", "angle ~ recipe + temp        + (1|recipe:replicate)", source = "lme4 ?cake example (fm3)",
  note = "extra whitespace as in the source")
E("cake_replicate", "cake", "angle ~ temp + recipe + (1 | replicate)", source = paste0(LME4_TESTS, "tests/testthat/test-predict.R"))
E("grouseticks_full", "grouseticks", "TICKS~YEAR+HEIGHT+(1|BROOD)+(1|INDEX)+(1|LOCATION)", family = "poisson",
  source = "lme4 ?grouseticks example (form)", note = "INDEX has one level per observation")
E("grouseticks_brms", "grouseticks", "TICKS ~ YEAR + HEIGHT + (1|BROOD) + (1|LOCATION)", family = "poisson",
  source = "brms overview vignette Table (lme4 column)")
E("grouseticks_scale_nb", "grouseticks", "TICKS~YEAR+scale(HEIGHT)+(1|BROOD)", family = "negativebinomial",
  source = paste0(GLMMTMB_REPO, "inst/misc/rsqglmm.R (glmer.nb)"),
  note = "scale(); negative binomial: structure built with glFormula(family = poisson())")
E("insteval_service_dept", "InstEval_4000", "y ~ service * dept + studage + lectage + (1|s) + (1|d)",
  source = paste0(LME4_TESTS, "tests/vcov-etc.R (fm8)"),
  note = "studage and lectage are ordered factors (polynomial contrasts); 4000-row subset so some dept:service cells may be empty")
E("insteval_lmerperf", "InstEval_4000", "y ~ service * dept + (1|s) + (1|d)", source = "lme4 vignette lmerperf.Rmd (m0)")
E("insteval_dept_service_re", "InstEval_4000", "y ~ studage + lectage + (1|s) + (1|d) + (1|dept:service) + (1|dept)",
  source = paste0(LME4_TESTS, "tests/vcov-etc.R"))

## --- lme4 tests ------------------------------------------------------------
E("sleep_numeric_grouping", "sleepstudy", "Reaction ~ 1 + (1|Days)", source = paste0(LME4_TESTS, "tests/testthat/test-lmer.R"),
  note = "grouping by a numeric variable: lme4 turns it into a factor")
E("sleep_obs_level_re", "sleepstudy_obs", "Reaction ~ 1 + Days + (1|obs)", source = paste0(LME4_TESTS, "tests/testthat/test-lmer.R"),
  note = "one level per observation: lme4 refuses this by default (check.nobs.vs.nlev); accepted here because the corpus sets the nobs checks to 'ignore', as that test does")
E("sleep_poly2", "sleepstudy", "Reaction ~ poly(Days,2) + (1|Subject)", source = paste0(LME4_TESTS, "tests/predict_basis.R (fm2)"))
E("sleep_poly2_raw", "sleepstudy", "Reaction ~ poly(Days,2,raw=TRUE) + (1|Subject)", source = paste0(LME4_TESTS, "tests/predict_basis.R (fm3)"),
  note = "TRUE inside a call")
E("sleep_ns2", "sleepstudy", "Reaction ~ ns(Days,2) + (1|Subject)", source = paste0(LME4_TESTS, "tests/predict_basis.R (fm1)"),
  note = "splines::ns (splines attached)")
E("sleep_poly_in_re", "sleepstudy", "Reaction~Days+(poly(Days,2)|Subject)", source = paste0(LME4_TESTS, "tests/testthat/test-methods.R (fm5)"))
E("sleep_poly_fixed_1", "sleepstudy", "Reaction ~ 1 + poly(Days, 2) + (1|Subject)",
  source = paste0(LME4_TESTS, "tests/testthat/test-simulate_formula.R"))
E("sleep_loglog", "sleepstudy", "log(Reaction) ~ log(Days+1) + (log(Days+1)|Subject)", source = paste0(LME4_TESTS, "tests/lmer-1.R (fm2l)"))
E("sleep_log1p", "sleepstudy", "Reaction ~ log(1+Days) + (1 | Subject)", source = paste0(LME4_TESTS, "tests/testthat/test-methods.R (m4)"))
E("sleep_ugly_compound", "sleepstudy", "log(Reaction) ~ splines::ns(Days,3) + + I(1+Days^3) + (Days|Subject)",
  source = paste0(LME4_TESTS, "tests/methods.R ('ugly example: model frame with compound elements')"),
  note = "pkg::fun() call and a doubled '+ +' (unary plus) exactly as in the source")
E("sleep_offset_arith", "sleepstudy", "Reaction ~ Days + (Days|Subject) + offset(0.5*Days)", source = paste0(LME4_TESTS, "tests/modFormula.R"),
  note = "arithmetic inside offset()")
E("sleep_offset_plain", "sleepstudy", "Reaction ~ Days + offset(Days) + (1|Subject)", source = paste0(LME4_TESTS, "tests/testthat/test-methods.R (fm7)"))
E("sleep_logical_response", "sleepstudy", "Reaction > 250 ~ Days + (1|Subject)", family = "binomial",
  source = paste0(LME4_TESTS, "tests/testthat/test-glmernb.R (m.nb1)"), note = "comparison as the response")
E("sleep_round_pois", "sleepstudy", "round(Reaction) ~ Days + (1|Subject)", family = "poisson",
  source = paste0(LME4_TESTS, "tests/testthat/test-methods.R (m5); test-allFit.R"), note = "round() on the response")
E("sleep_round_nb", "sleepstudy", "round(Reaction) ~ Days + (1|Subject)", family = "negativebinomial",
  source = paste0(LME4_TESTS, "tests/testthat/test-glmernb.R (m.nb2, glmer.nb)"),
  note = "negative binomial: structure built with glFormula(family = poisson())")
E("sleep_round_empty_fixed", "sleepstudy", "round(Reaction) ~ 0 + (1|Subject)", family = "poisson",
  source = paste0(LME4_TESTS, "tests/testthat/test-covariance_glmer.R"), note = "empty fixed-effects part")
E("sleep_age_rank_deficient", "sleepstudy_age", "Reaction ~ Days + ns(Days, df=4) + age + Days:age + (Days | Subject)",
  source = paste0(LME4_TESTS, "tests/testthat/test-predict.R ('only drop columns when using new data')"),
  note = "lme4 drops a rank-deficient fixed-effect column")
E("sleep_space_response", "sleepstudy_rt", "`Reaction Time` ~ Days + (1 | Subject)",
  source = paste0(LME4_TESTS, "tests/testthat/test-methods.R (m3)"), note = "backquoted response with a space")
E("sleepNA_refit", "sleepstudyNA", "Reaction ~ Days + (1|Subject)", source = "lme4 ?refit example (fm0 on sleepstudyNA)",
  note = "3 rows with NA response dropped by na.omit")
E("sleep_logical_resp_numeric_group", "sleepstudy_chr", "rr~(1|Days)", family = "binomial",
  source = paste0(LME4_TESTS, "tests/testthat/test-glmer.R ('should work OK with logical too')"),
  note = "logical response column; numeric grouping variable; Reaction is a character column (unused)")
E("cbpp_silly_space", "cbpp_silly", "cbind(incidence,size-incidence) ~ `silly period` + (1|herd)", family = "binomial",
  source = paste0(LME4_TESTS, "tests/testthat/test-predict.R"), note = "backquoted factor name with a space: coefficient names `silly period`2 ...")
E("cbpp_intercept_only", "cbpp", "cbind(incidence, size-incidence) ~ 1 + (1|herd)", family = "binomial",
  source = paste0(LME4_TESTS, "tests/refit.R (fit_cbpp_0)"))
E("orthodont_factor_slope_noint", "Orthodont", "distance ~ age + (age|Subject) + (0 + Sex |Subject)",
  source = paste0(LME4_TESTS, "tests/testthat/test-methods.R (m3, issue #257)"),
  note = "(0 + f | g) with a factor f: one indicator column per level; Sex does not vary within Subject")
E("orthodont_centered", "Orthodont", "distance ~ I(age - 11) + (I(age - 11) | Subject)",
  source = paste0(LME4_TESTS, "tests/testthat/test-methods.R (fmOrth)"))
E("orthodont_factor_response", "Orthodont", "Sex ~ distance + (1|Subject)", family = "binomial",
  source = paste0(LME4_TESTS, "tests/testthat/test-methods.R ('silly', there on MEMSS::Orthodont)"),
  note = "factor response (first level = failure); run here on nlme::Orthodont")
E("pixel_lme4", "Pixel", "pixel ~ day + I(day^2) + (day | Dog) + (1 | Side/Dog)",
  source = paste0(LME4_TESTS, "tests/testthat/test-methods.R (fmPix); glmmTMB tests/testthat/test-VarCorr.R"),
  note = "Dog factor levels are numbers sorted as strings (1, 10, 2, ...)")
E("ergostool_type", "ergoStool", "effort ~ Type + (1|Subject)", source = paste0(LME4_TESTS, "tests/vcov-etc.R (fm1); nlme scripts/ch01.R"))
E("oats_factor_nitro", "Oats", "yield ~ Variety * factor(nitro) + (1|Block/Variety)",
  source = paste0(LME4_TESTS, "misc/issues/303-predict-miss-levels.R (Oats.lmer, there with a subset)"),
  note = "factor() of a numeric column; nested grouping with an ordered Block")
E("trees513_minus1", "trees513B", "damage ~ species - 1 + (1 | lattice / plot)", family = "binomial",
  source = paste0(LME4_TESTS, "tests/HSAURtrees.R (modForm, data trees513B)"),
  note = "-1 drops the intercept: full indicator coding of species; spaces around '/'")
E("gopher_offset_log", "gopherdat2", "shells~prev + (1|Site)+offset(log(Area))", family = "poisson",
  source = paste0(LME4_TESTS, "tests/testthat/test-glmer.R (g0)"), note = "offset(log(x))")
E("gopher_offset_factor_year", "gopherdat2", "shells ~ prev + (1 | Site) + offset(log(Area)) + factor(year)", family = "poisson",
  source = paste0(LME4_TESTS, "tests/testthat/test-glmer.R (update(g0, .~.+factor(year)), written out)"))
E("culcita_binomial", "culcita_dat", "predation~ttt+(1|block)", family = "binomial",
  source = paste0(LME4_TESTS, "tests/bootMer.R (cmod)"), note = "0/1 numeric response")
E("rank_identical_columns", "rank_xy", "z ~ x + y + (1|r)", source = paste0(LME4_TESTS, "tests/testthat/test-rank.R (lmerRank)"),
  note = "y is identical to x: lme4 drops y; integer grouping variable r")
E("rank_empty_cell", "rank_ab", "z ~ a*b + (1|r)", source = paste0(LME4_TESTS, "tests/testthat/test-rank.R (lmerRank)"),
  note = "empty a4:b4 cell: lme4 drops the a4:b4 column")
E("rank_constant_column", "rank_const", "y ~ x1 + x2 + (1 | id)", source = paste0(LME4_TESTS, "tests/testthat/test-predict.R"),
  note = "x1 is constant 1: lme4 drops x1")
E("ffD_paren_sum", "ff_D", "y ~ (x1 + x2)|ff", source = paste0(LME4_TESTS, "tests/lmer-1.R (m0)"),
  note = "unparenthesized bar with a sum on the left: one 3x3 term, fixed part intercept only")
E("ffD_unparen_sum", "ff_D", "y ~ x1 + x2|ff", source = paste0(LME4_TESTS, "tests/lmer-1.R (m1)"),
  note = "| binds loosest: same as (x1 + x2 | ff)")
E("ffD_fixed_then_bar", "ff_D", "y ~ x1 + (x2|ff)", source = paste0(LME4_TESTS, "tests/lmer-1.R (m2)"))
E("ffD_bar_then_fixed", "ff_D", "y ~ (x2|ff) + x1", source = paste0(LME4_TESTS, "tests/lmer-1.R (m3)"))
E("lagoon_cellmeans_nested", "lagoon", "y ~ 0+lagoon + (1|habitat:lagoon)", source = paste0(LME4_TESTS, "tests/lmer-1.R (r2.0)"))
E("lagoon_cellmeans", "lagoon", "y ~ 0+lagoon + (1|habitat)", source = paste0(LME4_TESTS, "tests/lmer-1.R (r2)"))
E("lagoon_habitat_fixed_and_random", "lagoon", "y ~ 0+habitat + (1|habitat)", source = paste0(LME4_TESTS, "tests/lmer-1.R (r1b)"),
  note = "the same factor as fixed effect and as grouping factor")
E("animal_id_space_group", "animal_id", "y ~ 1 + (1 | `Animal ID`)", source = "lme4 ?predict.merMod example",
  note = "backquoted grouping variable with a space (integer column)")
E("predsim_colon", "predsim_fg", "y~(1|f:g)", source = paste0(LME4_TESTS, "tests/predsim.R (m1)"), note = "interaction grouping factor only")
E("predsim_slash", "predsim_fg", "y~(1|f/g)", source = paste0(LME4_TESTS, "tests/predsim.R (m2)"))
E("offset_times_x", "offset_block", "y~x+(1|block)+offset(3*x)", source = paste0(LME4_TESTS, "tests/offset.R (fm1off)"))
E("gh457_poly_slope", "gh457", "y~1 + f + (1|h/f) + (poly(x,2)|g)", source = paste0(LME4_TESTS, "tests/testthat/test-predict.R (GH 457)"))

## --- nlme book scripts (lme -> lme4 translations) ---------------------------
E("rail_intercept", "Rail", "travel ~ 1 + (1|Rail)", source = paste0(NLME_CH01, "lme(travel ~ 1, data = Rail, random = ~ 1 | Rail)"),
  note = "grouping factor named like the data set; ordered factor with numeric-looking labels")
E("ergostool_cellmeans", "ergoStool", "effort ~ Type - 1 + (1|Subject)",
  source = paste0(NLME_CH01, "lme(effort ~ Type - 1, data = ergoStool, random = ~ 1 | Subject)"))
E("ergostool_nested", "ergoStool", "effort ~ Type + (1|Subject/Type)",
  source = paste0(NLME_CH01, "lme(effort ~ Type, ergoStool, ~ 1 | Subject/Type)"),
  note = "Type:Subject has one level per observation (accepted with the nobs checks ignored)")
E("machines_worker", "Machines", "score ~ Machine + (1|Worker)", source = paste0(NLME_CH01, "lme(score ~ Machine, random = ~ 1 | Worker)"))
E("machines_nested", "Machines", "score ~ Machine + (1|Worker/Machine)", source = paste0(NLME_CH01, "update(fm1Machine, random = ~ 1 | Worker/Machine)"))
E("oats_ordered_nitro", "Oats", "yield ~ ordered(nitro) * Variety + (1|Block/Variety)",
  source = paste0(NLME_CH01, "lme(yield ~ ordered(nitro) * Variety, data = Oats, random = ~ 1 | Block/Variety)"),
  note = "ordered() inside the formula: polynomial contrasts")
E("oats_numeric_nitro", "Oats", "yield ~ nitro + (1|Block/Variety)", source = paste0(NLME_CH01, "lme(yield ~ nitro, data = Oats, random = ~ 1 | Block/Variety)"))
E("pixel_nlme", "Pixel", "pixel ~ day + I(day^2) + (day | Dog) + (1 | Dog:Side)",
  source = "nlme scripts/ch01.R and ?Pixel: lme(pixel ~ day + I(day^2), random = list(Dog = ~ day, Side = ~ 1)), translated")
E("bodyweight_interaction", "BodyWeight", "weight ~ Time * Diet + (Time | Rat)",
  source = "nlme scripts/ch05.R: lme(weight ~ Time * Diet, BodyWeight, random = ~ Time), translated")

## --- MASS --------------------------------------------------------------------
E("bacteria_logical_I", "bacteria", "y ~ trt + I(week > 2) + (1 | ID)", family = "binomial",
  source = "MASS ?glmmPQL / ?bacteria: glmmPQL(y ~ trt + I(week > 2), random = ~ 1 | ID), translated",
  note = "logical comparison inside I(): column I(week > 2)TRUE")
E("bacteria_offset_week", "bacteria", "y ~ trt + week + offset(week) + (1 | ID)", family = "binomial",
  source = "MASS ?glmmPQL: glmmPQL(y ~ trt + week + offset(week), random = ~ 1 | ID), translated")
E("epil_pql", "epil", "y ~ lbase*trt + lage + V4 + (1 | subject)", family = "poisson",
  source = "MASS ?epil: glmmPQL(y ~ lbase*trt + lage + V4, random = ~ 1 | subject), translated",
  note = "integer grouping variable")
E("sitka_ri", "Sitka", "size ~ Time + (1 | tree)", source = SM_NB)
E("sitka_rs", "Sitka", "size ~ Time + (1 + Time | tree)", source = SM_NB)

## --- statsmodels ---------------------------------------------------------------
E("dietox_ri", "dietox", "Weight ~ Time + (1|Pig)", source = paste0(SM_NB, "; statsmodels docs mixed_linear.rst (smf.mixedlm('Weight ~ Time', groups=Pig))"),
  note = "Feed has NAs but is not used: no rows dropped")
E("dietox_rs", "dietox", "Weight ~ Time + (1 + Time | Pig)", source = paste0(SM_NB, " (re_formula='~Time')"))
E("dietox_indep", "dietox", "Weight ~ Time + (1 | Pig) + (0 + Time | Pig)", source = SM_NB)
E("dietox_litter", "dietox", "Weight ~ Time + Litter + (1|Pig)",
  source = "statsmodels user example smf.mixedlm('Weight ~ Time + Litter', groups=Pig), translated",
  note = "Litter is a factor with 21 levels")

## --- glmmTMB ---------------------------------------------------------------------
E("salamanders_interaction", "Salamanders", "count ~ spp * mined + (1|site)", family = "poisson",
  source = paste0(GLMMTMB_REPO, "tests/testthat/test-control.R; glmmTMB paper"),
  note = "mined levels are yes, no (unsorted); site is an ordered factor used as grouping factor")
E("salamanders_mined_spp", "Salamanders", "count ~ mined * spp + (1|site)", family = "poisson",
  source = paste0(GLMMTMB_REPO, "tests/testthat/test-control.R"), note = "term order swapped relative to salamanders_interaction")
E("salamanders_additive_nb", "Salamanders", "count ~ spp + mined + (1|site)", family = "negativebinomial",
  source = paste0(GLMMTMB_REPO, "vignettes/troubleshooting.rmd; tests"), note = "structure built with glFormula(family = poisson())")
E("salamanders_spp_nb", "Salamanders", "count~spp + (1|site)", family = "negativebinomial",
  source = "glmmTMB vignette troubleshooting (zinbm0, conditional part)", note = "structure built with glFormula(family = poisson())")
E("salamanders_two_groups", "Salamanders", "count ~ DOP + (1|sample) + (1|mined)", family = "poisson",
  source = paste0(GLMMTMB_REPO, "tests/testthat/test-methods.R"), note = "integer grouping variable sample; 2-level grouping factor")
E("salamanders_spp_group", "Salamanders", "count ~ mined + (1|spp)", family = "poisson", source = paste0(GLMMTMB_REPO, "tests"))
E("owls_offset_nb", "Owls", "SiblingNegotiation ~ FoodTreatment*SexParent + (1|Nest)+offset(log(BroodSize))", family = "negativebinomial",
  source = "glmmTMB vignette model_evaluation (owls_nb1, conditional part; there with contr.sum contrasts)",
  note = "default treatment contrasts here; structure built with glFormula(family = poisson())")
E("owls_vignette_zip", "Owls_vignette", "NCalls~(FT+ArrivalTime)*SexParent+offset(log(BroodSize))+(1|Nest)", family = "poisson",
  source = "glmmTMB vignette glmmTMB (fit_zipoisson, conditional part)", note = "Nest levels reordered by reorder(): not alphabetical")
E("owls_vignette_broodsize", "Owls_vignette", "NCalls ~ (FT+ArrivalTime)*SexParent+ BroodSize+(1|Nest)", family = "negativebinomial",
  source = "glmmTMB vignette glmmTMB (fit_zinbinom1_bs formula)", note = "structure built with glFormula(family = poisson())")
E("pixel_two_terms_dog", "Pixel", "pixel ~ day + I(day^2) + (day | Dog) + (1 | Dog) + (1 | Side:Dog)",
  source = paste0(GLMMTMB_REPO, "tests/testthat/test-VarCorr.R (fmPix3)"),
  note = "two terms on Dog, each with an intercept")
E("sleep_nested_numeric", "sleepstudy", "Reaction ~ 1 + (1 | Subject/Days)", source = paste0(GLMMTMB_REPO, "tests/testthat/test-predict.R"),
  note = "nesting with a numeric variable: Days:Subject has one level per observation")
E("sleep_log_slope", "sleepstudy", "Reaction ~ 1 + (log(Days+1)|Subject)", source = paste0(GLMMTMB_REPO, "tests/testthat/test-predict.R (fmnasty)"))
E("sleep_scale", "sleepstudy", "Reaction~(1|Subject) + scale(Days)", source = paste0(GLMMTMB_REPO, "tests/testthat/test-predict.R"),
  note = "random term written before the fixed term")
E("sleep_poly3", "sleepstudy", "Reaction~(1|Subject) + poly(Days,3)", source = paste0(GLMMTMB_REPO, "tests/testthat/test-predict.R (g1)"))
E("cbpp_obs_first", "cbpp_obs", "cbind(incidence, size-incidence) ~ period + (1|obs) + (1|herd)", family = "binomial",
  source = paste0(GLMMTMB_REPO, "tests"), note = "lme4 orders terms by decreasing number of levels (obs 56 before herd 15)")
E("pastes_cask_fixed", "Pastes", "strength ~ cask + (1|batch) + (1|sample)", source = paste0(GLMMTMB_REPO, "tests"))

## --- brms ------------------------------------------------------------------------
E("epilepsy_patient", "epilepsy", "count ~ zAge + zBase * Trt + (1|patient)", family = "poisson",
  source = "brms ?brm example (fit1); brms overview", note = "Trt levels are '0','1'")
E("epilepsy_patient_obs", "epilepsy", "count ~ zAge + zBase * Trt + (1|patient) + (1|obs)", family = "poisson",
  source = paste0(BRMS_REPO, "R/kfold.R example; R/priors.R examples"))
E("epilepsy_empty_fixed", "epilepsy", "count ~ 0 + (1|patient) + (1+Trt|visit)", family = "poisson",
  source = paste0(BRMS_REPO, "tests/testthat/tests.stancode.R ('handles models without fixed effects')"),
  note = "empty fixed-effects part")
E("epilepsy_visit_slope", "epilepsy", "count ~ zAge + zBase * Trt + (1+Trt|visit)",
  source = paste0(BRMS_REPO, "R/brmsfit-methods.R examples (family = gaussian())"))
E("epilepsy_trt_patient", "epilepsy", "count ~ Trt + (1|patient)", family = "poisson",
  source = paste0(BRMS_REPO, "R/formula-re.R example (fit1)"))
E("kidney_slope", "kidney", "time ~ age + sex + disease + (1 + age|patient)",
  source = paste0(BRMS_REPO, "R/hypothesis.R example (brm(time ~ age + sex + disease + (1 + age|patient), ...))"),
  note = "patient is numeric (grouping by a numeric column); disease levels other, GN, AN, PKD (unsorted)")
E("inhaler_subject", "inhaler", "rating ~ treat + period + carry + (1|subject)", family = "cumulative",
  source = "brms ?inhaler / ?loo examples (fit2); brms overview (fit3)",
  note = "ordinal 'cumulative' family has no lme4 counterpart: structure built with lFormula (gaussian); integer grouping variable")

## --- Contraception (mlmRev, used by lme4's tests) -----------------------------------
E("contraception_ri", "Contraception", "use ~ urban+age+livch+(1|district)", family = "binomial",
  source = paste0(LME4_TESTS, "tests/simulate.R (gm5)"), note = "district levels are labelled 1..61 with no 54 (60 levels)")
E("contraception_rs", "Contraception", "use ~ urban+age+livch + (urban|district)", family = "binomial",
  source = paste0(LME4_TESTS, "tests/profile-tst.R (fm2)"))
E("contraception_poly_logical", "Contraception_ch", "use ~ poly(age,2) + ch + age:ch + urban + (1|district)", family = "binomial",
  source = paste0(LME4_TESTS, "tests/glmerWarn.R (gmC1, commented-out fit)"),
  note = "poly(); logical ch gives chTRUE and age:chTRUE columns")
E("contraception_cov_us", "Contraception", "use ~ age + urban + (1 + urban | district)", family = "binomial",
  source = paste0(LME4_TESTS, "tests/testthat/test-covariance_structures.R (gm)"))

## --- Arabidopsis / VerbAgg: interactions in random terms -----------------------------
E("arabidopsis_nb", "Arabidopsis", "total.fruits~status+nutrient+(1|gen)", family = "negativebinomial",
  source = paste0(LME4_TESTS, "tests/testthat/test-glmernb.R (glmer.nb)"),
  note = "gen is an integer column used as grouping variable; structure built with glFormula(family = poisson())")
E("arabidopsis_banta", "Arabidopsis", "total.fruits ~ nutrient*amd + rack + status + (amd*nutrient|popu)+ (amd*nutrient|gen)", family = "poisson",
  source = paste0(LME4_TESTS, "misc/issues/Banta_conv.Rmd (mp1, data Banta_TotalFruits.csv = Arabidopsis)"),
  note = "a*b interaction inside random terms (factor amd x numeric nutrient)")
E("verbagg_cellmeans_re", "VerbAgg", "r2 ~ btype * situ + (0 + btype:situ | id)", family = "binomial",
  source = "adapted: cell-means random-effects pattern (0 + f1:f2 | g) used by lme4 users (e.g. write-ups of Kiss et al. 2023 random structures); applied to VerbAgg",
  note = "(a:b | g) with two factors and no intercept: 6 indicator columns")
E("verbagg_interaction_slope_re", "VerbAgg", "r2 ~ btype * situ + (btype:situ | id)", family = "binomial",
  source = "adapted: (a:b | g) with an intercept, the case bayeslme codes full rank (issue 15); applied to VerbAgg",
  note = "(a:b | g) with two factors beside the intercept: lme4 keeps 1 + 6 rank-deficient columns")
E("pastes_cask_batch_interaction_re", "Pastes", "strength ~ 1 + (cask:batch | sample)",
  source = "adapted: (a:b | g) with an intercept and two factors of 3 and 10 levels; applied to Pastes",
  note = "lme4 keeps 1 + 30 rank-deficient columns; bayeslme codes 30")

## --- user patterns applied to data here (adapted) -------------------------------------
E("sleep_sqrt_response", "sleepstudy", "sqrt(Reaction) ~ Days + (Days | Subject)",
  source = "adapted: lmer(sqrt(y) ~ ...) is a common user transformation (public GitHub code); applied to sleepstudy")
E("sleep_as_factor_days", "sleepstudy", "Reaction ~ as.factor(Days) + (1 | Subject)",
  source = "adapted: Days as a categorical predictor (lme4 ?sleepstudy notes the original study treated day as categorical); as.factor() pattern from user code")
E("owls_exp_logbroodsize", "Owls", "SiblingNegotiation ~ FoodTreatment * SexParent + exp(logBroodSize) + (1 | Nest)", family = "poisson",
  source = "adapted from glmmTMB vignette fit_zinbinom1_bs (BroodSize as covariate), written with exp() of the stored logBroodSize",
  note = "exp() in the fixed part")
E("kidney_log_response", "kidney", "log(time) ~ age + sex + disease + (1 | patient)",
  source = "adapted from brms kidney models (lognormal family) as the lme4 log-response analogue; censoring ignored")

## --- own synthetic data: offsets with arithmetic, spaces, logicals, characters -------
E("synth_offset_log", "synth_counts", "y ~ x + offset(log(area)) + (1 | site)", family = "poisson",
  source = "synthetic (own data); pattern offset(log(exposure)) as in lme4 test-glmer.R and glmmTMB vignettes",
  note = "NAs in x, y and site: rows dropped by na.omit")
E("synth_offset_log_plus1", "synth_counts", "y ~ x + offset(log(area) + 1) + (1 | site)", family = "poisson",
  source = "synthetic (own data)", note = "arithmetic inside offset()")
E("synth_offset_2log", "synth_counts", "y ~ x + offset(2 * log(area)) + (1 | site)", family = "poisson",
  source = "synthetic (own data)", note = "arithmetic inside offset()")
E("synth_space_logical", "synth_counts", "y ~ treatment + fenced + (1 | `plot ID`)", family = "poisson",
  source = "synthetic (own data)", note = "backquoted grouping factor with a space and unsorted levels; logical predictor (fencedTRUE); non-alphabetical factor levels")
E("synth_dblbar_interaction", "synth_counts", "y ~ treatment * x + (x || site)", family = "poisson",
  source = "synthetic (own data)", note = "site labels 01..12")
E("synth_cellmeans", "synth_counts", "y ~ 0 + treatment + (0 + treatment | site)", family = "poisson",
  source = "synthetic (own data)", note = "(0 + f | g) with a 3-level factor")
E("synth_character_group", "synth_counts", "log(y + 1) ~ x + (1 | observer)",
  source = "synthetic (own data)", note = "character grouping column (converted to a factor by lme4)")
E("synth_ordered_nested", "synth_counts", "y ~ visit + (1 | site/`plot ID`)", family = "poisson",
  source = "synthetic (own data)", note = "ordered factor in the fixed part (polynomial contrasts); nesting with a backquoted name")
E("synth_two_terms_same_factor", "synth_counts", "y ~ x + (1 | site) + (x | site)", family = "poisson",
  source = "synthetic (own data); pattern of glmmTMB test-VarCorr.R fmPix3 ((day | Dog) + (1 | Dog))",
  note = "two terms on one factor, each with an intercept")

## --- formulas lme4 refuses ------------------------------------------------------------
E("fail_no_random_brms", "kidney", "time ~ age * sex", source = paste0(BRMS_REPO, "R/diagnostics.R example (brm(time ~ age * sex, data = kidney))"),
  note = "no random-effects term")
E("fail_no_random_epilepsy", "epilepsy", "count ~ zAge + zBase * Trt", family = "poisson",
  source = "brms ?brm / vignettes (brm(count ~ zAge + zBase * Trt, ...))", note = "no random-effects term")
E("fail_no_random_glmmtmb", "sleepstudy", "Reaction ~ Days", source = paste0(GLMMTMB_REPO, "tests (glmmTMB(Reaction ~ Days, ...))"),
  note = "no random-effects term")
E("fail_bar_binds_loosest", "ff_D", "y ~ x2|ff + x1", source = paste0(LME4_TESTS, "tests/lmer-1.R (expected error)"),
  note = "| binds loosest: the grouping expression becomes ff + x1")
E("fail_star_grouping", "lagoon", "y ~ habitat + (1|habitat*lagoon)", source = paste0(LME4_TESTS, "tests/lmer-1.R ('Invalid factor specification')"),
  note = "a*b is not a valid grouping factor (a:b is)")
E("fail_brms_id_syntax", "epilepsy", "count ~ Trt + (1+Trt|3|visit) + (1|patient)", family = "poisson",
  source = paste0(BRMS_REPO, "tests (bf(count ~ Trt + (1+Trt|3|visit) + (1|patient)))"),
  note = "brms correlation-ID syntax (a|ID|g) is not lme4 syntax")
E("fail_brms_gr", "epilepsy", "count ~ Trt + (1|gr(patient))", family = "poisson",
  source = paste0(BRMS_REPO, "R/formula-re.R example (fit2)"), note = "brms gr() grouping function")
E("fail_brms_category_specific", "inhaler", "rating ~ period + carry + cs(treat) + (1|subject)", family = "cumulative",
  source = "brms overview vignette (fit4)", note = "brms cs() (category-specific effect) is not an lme4/R function; structure attempted with lFormula")
E("fail_one_level_group", "sleepstudy_308", "Reaction ~ Days + (1|Subject)", source = paste0(LME4_TESTS, "tests/testthat/test-lmer.R"),
  note = "grouping factor with a single level (check.nlev.gtr.1 is left at its default 'stop')")
E("fail_one_level_group_glmm", "cbpp_herd1", "cbind(incidence, size - incidence) ~ period + (1 | herd)", family = "binomial",
  source = paste0(LME4_TESTS, "tests/testthat/test-glmer.R (glFormula on one herd)"))
E("fail_no_complete_cases", "sleepstudy_daysNA", "Reaction ~ Days + (1| Subject)", source = paste0(LME4_TESTS, "tests/testthat/test-lmer.R (GH 533)"),
  note = "every row has an NA in the model frame")
E("fail_quasi_family", "cbpp", "incidence ~ period + (1|herd)", family = "quasipoisson",
  source = paste0(LME4_TESTS, "tests/lmer-0.R (assertError, family = quasipoisson)"),
  note = "quasi families are refused by glFormula")

## ---------------------------------------------------------------------------
## lme4 structure for each entry
## ---------------------------------------------------------------------------

ctrl <- lmerControl(check.nobs.vs.nlev = "ignore", check.nobs.vs.rankZ = "ignore", check.nobs.vs.nRE = "ignore")
gctrl <- glmerControl(check.nobs.vs.nlev = "ignore", check.nobs.vs.rankZ = "ignore", check.nobs.vs.nRE = "ignore")

family_object <- function(family) {
    switch(family,
           gaussian = NULL, cumulative = NULL,
           binomial = binomial(), poisson = poisson(),
           negativebinomial = poisson(),   # structure only
           quasipoisson = quasipoisson(),
           stop("unknown family ", family))
}

## match lme4's (reordered) terms to their position in the expanded formula
formula_positions <- function(f, term_names) {
    bars <- vapply(lme4::findbars(f), function(b) paste(deparse(b, width.cutoff = 500L), collapse = " "), "")
    used <- rep(FALSE, length(bars))
    vapply(term_names, function(nm) {
        i <- which(bars == nm & !used)[1]
        if (is.na(i)) return(NA_integer_)
        used[i] <<- TRUE
        i
    }, 0L, USE.NAMES = FALSE)
}

run_lme4 <- function(formula_str, data, family) {
    msgs <- character(0)
    fenv <- new.env(parent = globalenv())
    f <- as.formula(formula_str, env = fenv)
    fam <- family_object(family)
    res <- tryCatch(
        withCallingHandlers(
            if (is.null(fam)) lFormula(f, data = data, control = ctrl)
            else glFormula(f, data = data, family = fam, control = gctrl),
            warning = function(w) {
                msgs <<- c(msgs, conditionMessage(w)); invokeRestart("muffleWarning")
            },
            message = function(m) {
                msgs <<- c(msgs, trimws(conditionMessage(m))); invokeRestart("muffleMessage")
            }),
        error = function(e) e)
    if (inherits(res, "error"))
        return(list(ok = FALSE, error = conditionMessage(res), warnings = I(msgs)))
    X <- res$X
    dropped <- attr(X, "col.dropped")
    rt <- res$reTrms
    tn <- names(rt$Ztlist)
    pos <- formula_positions(f, tn)
    fl_assign <- attr(rt$flist, "assign")
    terms <- lapply(seq_along(tn), function(i) list(
        bar = tn[[i]],
        group = names(rt$cnms)[[i]],
        effects = I(as.character(unname(rt$cnms[[i]]))),
        n_levels = nlevels(rt$flist[[fl_assign[[i]]]]),
        formula_position = pos[[i]]))
    list(ok = TRUE, warnings = I(msgs),
         n_obs = nrow(res$fr),
         fixed = I(as.character(colnames(X))),
         fixed_dropped = I(as.character(names(dropped))),
         fixed_rank_deficient_before_drop = ncol(X) + length(dropped),
         has_offset = !is.null(model.offset(res$fr)),
         terms = terms)
}

corpus <- lapply(ENTRIES, function(en) {
    out <- en[c("id", "source", "dataset", "formula", "family")]
    if (!is.null(en$note)) out$note <- en$note
    out$lme4 <- run_lme4(en$formula, DATA[[en$dataset]], en$family)
    out
})
## sanity: refusals are the fail_* entries, and only those
oks <- vapply(corpus, function(x) x$lme4$ok, TRUE)
ids <- vapply(corpus, `[[`, "", "id")
bad <- ids[oks == startsWith(ids, "fail_")]
if (length(bad)) stop("unexpected lme4 outcome for: ", paste(bad, collapse = ", "))
writeLines(toJSON(corpus, auto_unbox = TRUE, pretty = TRUE, digits = NA, null = "null"), file.path(here, "corpus.json"))
cat(sprintf("corpus: %d entries, %d accepted, %d refused\n", length(corpus), sum(oks), sum(!oks)))

## ---------------------------------------------------------------------------
## lme4 >= 2.0 covariance-structure spellings, built with glmmTMB
## ---------------------------------------------------------------------------

## Parameter counts of lme4 >= 2.0 (R/covariance.R, lme4/lme4 commit 32b5bfd):
##   us: par = theta = nc(nc+1)/2
##   diag: par = theta = nc (hom = TRUE: 1); default hom = FALSE
##   cs:  par = (hom ? 1 : nc) + (nc > 1); theta = hom ? 2nc-1 : nc(nc+1)/2; default hom = FALSE
##   ar1: as cs; default hom = TRUE
lme4_2_counts <- function(type, nc, hom) {
    if (is.null(hom)) hom <- switch(type, us = NA, diag = FALSE, cs = FALSE, ar1 = TRUE)
    npar <- switch(type,
                   us = nc * (nc + 1) / 2,
                   diag = if (hom) 1 * (nc > 0) else nc,
                   cs = , ar1 = (if (hom) 1 * (nc > 0) else nc) + (nc > 1))
    ntheta <- switch(type,
                     us = nc * (nc + 1) / 2,
                     diag = npar,
                     cs = , ar1 = if (nc > 0) (if (hom) 2 * nc - 1 else nc * (nc + 1) / 2) else 0)
    list(structure = type, hom = if (is.na(hom)) NULL else hom, nc = nc, n_par = npar, n_theta = ntheta)
}

## glmmTMB spelling of each lme4 >= 2.0 structure and its theta count, from
## glmmTMB R/glmmTMB.R parFun() (glmmTMB/glmmTMB commit 73f6f34)
glmmTMB_counts <- function(lt) {
    type <- lt$structure; hom <- lt$hom; n <- lt$nc
    name <- switch(type, us = "us",
                   diag = if (isTRUE(hom)) "homdiag" else "diag",
                   cs = if (isTRUE(hom)) "homcs" else "cs",
                   ar1 = if (isTRUE(hom)) "ar1" else "hetar1")
    ntheta <- switch(name, us = n * (n + 1) / 2, diag = n, homdiag = 1, cs = n + 1, homcs = 2,
                     ar1 = 2, hetar1 = n + 1)
    list(structure = name, blockSize = n, n_theta = ntheta)
}

COV <- list()
C <- function(id, dataset, formula, glmmTMB_formula, family = "gaussian", source, lme4_terms, note = NULL) {
    COV[[length(COV) + 1L]] <<- list(id = id, source = source, dataset = dataset, formula = formula,
                                      glmmTMB_formula = glmmTMB_formula, family = family,
                                      lme4_terms = lme4_terms, note = note)
}
LT <- function(type, nc, hom = NULL) lme4_2_counts(type, nc, hom)

C("sleep_us", "sleepstudy", "Reaction ~ Days + us(Days | Subject)", "Reaction ~ Days + us(Days | Subject)",
  source = "lme4 >= 2.0 ?Covariance-class example (fm1.us); glmmTMB tests", lme4_terms = list(LT("us", 2)))
C("sleep_diag", "sleepstudy", "Reaction ~ Days + diag(Days | Subject)", "Reaction ~ Days + diag(Days | Subject)",
  source = "lme4 >= 2.0 ?Covariance-class example (fm1.diag); glmmTMB tests", lme4_terms = list(LT("diag", 2)))
C("sleep_diag_hom", "sleepstudy", "Reaction ~ Days + diag(Days | Subject, hom = TRUE)", "Reaction ~ Days + homdiag(Days | Subject)",
  source = "lme4 >= 2.0 ?Covariance-class example (fm1.diag.hom); lme4 inst/extra_docs/covariance_structure_comparison.Rmd",
  lme4_terms = list(LT("diag", 2, TRUE)), note = "homdiag needs glmmTMB >= 1.1.8 (not the installed one)")
C("sleep_cs", "sleepstudy", "Reaction ~ Days + cs(Days | Subject)", "Reaction ~ Days + cs(Days | Subject)",
  source = "lme4 >= 2.0 ?Covariance-class example (fm1.cs); glmmTMB tests", lme4_terms = list(LT("cs", 2)))
C("sleep_cs_hom", "sleepstudy", "Reaction ~ Days + cs(Days | Subject, hom = TRUE)", "Reaction ~ Days + homcs(Days | Subject)",
  source = "lme4 >= 2.0 ?Covariance-class example (fm1.cs.hom); glmmTMB tests", lme4_terms = list(LT("cs", 2, TRUE)),
  note = "homcs needs a newer glmmTMB than the installed one")
C("sleep_cs_vignette", "sleepstudy", "Reaction ~ Days + cs(1 + Days | Subject)", "Reaction ~ Days + cs(1 + Days | Subject)",
  source = "lme4 >= 2.0 vignette covariance_structures.Rmd (fm1.cs)", lme4_terms = list(LT("cs", 2)))
C("sleep_ar1_daysf", "sleepstudy_daysf", "Reaction ~ Daysf + ar1(0 + Daysf | Subject, hom = TRUE)",
  "Reaction ~ Daysf + ar1(0 + Daysf | Subject)",
  source = "lme4 >= 2.0 ?Covariance-class example (fm1.ar1); tests/testthat/test-covariance_structures.R",
  lme4_terms = list(LT("ar1", 10, TRUE)), note = "Daysf is an ordered factor with 10 levels; polynomial contrasts in the fixed part")
C("contraception_cs", "Contraception", "use ~ age + urban + cs(1 + urban | district)", "use ~ age + urban + cs(1 + urban | district)",
  family = "binomial", source = "lme4 tests/testthat/test-covariance_structures.R (gm.cs)", lme4_terms = list(LT("cs", 2)))
C("contraception_ar1", "Contraception", "use ~ age + urban + ar1(0 + urban | district)", "use ~ age + urban + ar1(0 + urban | district)",
  family = "binomial", source = "lme4 tests/testthat/test-covariance_glmer.R (gm.ar1_0)", lme4_terms = list(LT("ar1", 2)))
C("oats_cs_hom_nlme", "Oats", "yield ~ nitro + cs(0 + Variety | Block, hom = TRUE)", "yield ~ nitro + homcs(0 + Variety | Block)",
  source = "nlme scripts/ch04.R: lme(yield ~ nitro, random = list(Block = pdCompSymm(~ Variety - 1))) (pdCompSymm = homogeneous compound symmetry), translated",
  lme4_terms = list(LT("cs", 3, TRUE)), note = "homcs needs a newer glmmTMB than the installed one")
C("synth_ar1_visit", "synth_counts", "y ~ visit + ar1(0 + visit | `plot ID`)", "y ~ visit + ar1(0 + visit | `plot ID`)",
  family = "poisson", source = "synthetic (own data); ar1 pattern of glmmTMB vignette covstruct (ar1(times + 0 | group))",
  lme4_terms = list(LT("ar1", 5)), note = "visit is an ordered factor with 5 equally spaced levels")

run_glmmTMB <- function(formula_str, data, family) {
    msgs <- character(0)
    f <- as.formula(formula_str, env = new.env(parent = globalenv()))
    fam <- switch(family, gaussian = gaussian(), binomial = binomial(), poisson = poisson())
    res <- tryCatch(withCallingHandlers(
        glmmTMB::glmmTMB(f, data = data, family = fam, doFit = FALSE),
        warning = function(w) { msgs <<- c(msgs, conditionMessage(w)); invokeRestart("muffleWarning") },
        message = function(m) { msgs <<- c(msgs, trimws(conditionMessage(m))); invokeRestart("muffleMessage") }),
        error = function(e) e)
    if (inherits(res, "error"))
        return(list(ok = FALSE, error = conditionMessage(res), warnings = I(msgs)))
    rs <- res$condReStruc
    rt <- res$condList$reTrms
    terms <- lapply(seq_along(rs), function(i) list(
        bar = names(rs)[[i]],
        group = names(rt$cnms)[[i]],
        effects = I(as.character(unname(rt$cnms[[i]]))),
        structure = names(rs[[i]]$blockCode),
        blockCode = unname(rs[[i]]$blockCode),
        blockSize = rs[[i]]$blockSize,
        n_levels = rs[[i]]$blockReps,
        n_theta = rs[[i]]$blockNumTheta))
    list(ok = TRUE, warnings = I(msgs), n_obs = nrow(res$fr),
         fixed = I(as.character(colnames(res$data.tmb$X))),
         n_theta_total = length(res$parameters$theta),
         terms = terms)
}

covstruct <- lapply(COV, function(en) {
    out <- en[c("id", "source", "dataset", "formula", "glmmTMB_formula", "family")]
    if (!is.null(en$note)) out$note <- en$note
    out$lme4_2_0_expected <- list(
        basis = "parameter counts from lme4 >= 2.0 R/covariance.R (lme4/lme4 commit 32b5bfd); not run here",
        terms = en$lme4_terms)
    out$glmmTMB_source_expected <- list(
        basis = "glmmTMB spelling and theta count per term from glmmTMB R/glmmTMB.R parFun() (glmmTMB/glmmTMB commit 73f6f34); not run here",
        terms = lapply(en$lme4_terms, glmmTMB_counts))
    ## what the installed lme4 (1.1-31) does with the spelling
    l1 <- run_lme4(en$formula, DATA[[en$dataset]], en$family)
    out$lme4_1_1_31 <- l1[c("ok", "error", "warnings")[c(TRUE, !l1$ok, TRUE)]]
    out$glmmTMB <- c(list(version = as.character(packageVersion("glmmTMB"))),
                     run_glmmTMB(en$glmmTMB_formula, DATA[[en$dataset]], en$family))
    out
})
writeLines(toJSON(covstruct, auto_unbox = TRUE, pretty = TRUE, digits = NA, null = "null"), file.path(here, "covstruct.json"))

meta <- list(
    R = R.version.string,
    packages = lapply(c(lme4 = "lme4", Matrix = "Matrix", jsonlite = "jsonlite", nlme = "nlme", MASS = "MASS",
                        glmmTMB = "glmmTMB", brms = "brms", mlmRev = "mlmRev", geepack = "geepack"),
                      function(p) as.character(packageVersion(p))),
    structure_functions = "lme4::lFormula for gaussian (and for 'cumulative', which lme4 lacks); lme4::glFormula otherwise (negativebinomial via poisson(), structure only)",
    control = "lmerControl / glmerControl(check.nobs.vs.nlev = 'ignore', check.nobs.vs.rankZ = 'ignore', check.nobs.vs.nRE = 'ignore'); all other checks at their defaults",
    terms_order = "terms are listed in lme4's internal order (decreasing number of levels); formula_position is the 1-based position in lme4::findbars(formula) (after || and / expansion)",
    fixed_rank_deficient_before_drop = "ncol of the fixed-effects model matrix before lme4 dropped rank-deficient columns (equal to length(fixed) when nothing was dropped)",
    formula_environment = "formulas evaluated in a fresh environment whose parent is the global environment with lme4 and splines attached; glmmTMB and brms not attached")
writeLines(toJSON(meta, auto_unbox = TRUE, pretty = TRUE), file.path(here, "corpus_meta.json"))

## ---------------------------------------------------------------------------
## REML reference fits
## ---------------------------------------------------------------------------

ref_fit <- function(name, data_name, formula_str, data, fixed_factors) {
    f <- as.formula(formula_str, env = new.env(parent = globalenv()))
    fit_msgs <- character(0)
    fit <- withCallingHandlers(lmer(f, data = data, REML = TRUE),
                               warning = function(w) { fit_msgs <<- c(fit_msgs, conditionMessage(w)); invokeRestart("muffleWarning") },
                               message = function(m) { fit_msgs <<- c(fit_msgs, trimws(conditionMessage(m))); invokeRestart("muffleMessage") })
    fe <- fixef(fit)
    V <- as.matrix(vcov(fit))
    se <- sqrt(diag(V))
    fixed_effects <- lapply(names(fe), function(nm) list(estimate = unname(fe[[nm]]), se = unname(se[[nm]]),
                                                          t = unname(fe[[nm]] / se[[nm]])))
    names(fixed_effects) <- names(fe)
    vc <- as.data.frame(VarCorr(fit))
    table <- lapply(seq_len(nrow(vc)), function(i) list(
        grp = vc$grp[i], var1 = if (is.na(vc$var1[i])) NULL else vc$var1[i],
        var2 = if (is.na(vc$var2[i])) NULL else vc$var2[i], vcov = vc$vcov[i], sdcor = vc$sdcor[i]))
    vcl <- VarCorr(fit)
    sds <- lapply(vcl, function(m) as.list(attr(m, "stddev")))
    cors <- list()
    for (g in names(vcl)) {
        cm <- attr(vcl[[g]], "correlation")
        if (ncol(cm) > 1) {
            cl <- list()
            for (j in 1:(ncol(cm) - 1)) for (i in (j + 1):ncol(cm))
                cl[[paste0(colnames(cm)[j], "__", colnames(cm)[i])]] <- cm[i, j]
            cors[[g]] <- cl
        }
    }
    re <- ranef(fit, condVar = TRUE)
    red <- as.data.frame(re)
    cf <- coef(fit)
    by_factor <- list()
    for (g in names(re)) {
        lv <- rownames(re[[g]])
        cm <- list(); cs <- list()
        for (term in colnames(re[[g]])) {
            sub <- red[red$grpvar == g & red$term == term, ]
            sub <- sub[match(lv, as.character(sub$grp)), ]
            cm[[term]] <- sub$condval
            cs[[term]] <- sub$condsd
        }
        coefs <- c(list(levels = lv), lapply(as.list(cf[[g]][lv, , drop = FALSE]), unname))
        by_factor[[g]] <- list(levels = lv, n_levels = length(lv), conditional_mode = cm,
                               conditional_sd = cs, coef = coefs)
    }
    ll <- logLik(fit)
    ffl <- lapply(fixed_factors, function(v) {
        x <- data[[v]]
        list(levels = levels(x), reference = levels(x)[1], contrasts = "contr.treatment")
    })
    names(ffl) <- fixed_factors
    grouping_levels <- lapply(names(re), function(g) list(levels = levels(data[[g]]), ordered = is.ordered(data[[g]])))
    names(grouping_levels) <- names(re)
    list(
        name = name, data = data_name, formula = formula_str, family = "gaussian", link = "identity",
        method = "REML (lme4::lmer, default nloptwrap)",
        n_obs = nobs(fit), n_groups = as.list(ngrps(fit)),
        fixed_factor_levels = if (length(ffl)) ffl else structure(list(), names = character(0)),
        grouping_factor_levels = grouping_levels,
        fit_warnings = I(fit_msgs),
        convergence_messages = fit@optinfo$conv$lme4$messages,
        optimizer = fit@optinfo$optimizer,
        is_singular = isSingular(fit),
        theta = as.list(getME(fit, "theta")),
        fixed_effects = fixed_effects,
        vcov_fixed = list(names = I(colnames(V)), matrix = unname(V)),
        variance_components = list(table = table, sd = sds, cor = if (length(cors)) cors else I(list()),
                                   sigma = sigma(fit)),
        loglik = as.numeric(ll), df_loglik = attr(ll, "df"),
        AIC = AIC(fit), BIC = BIC(fit), REMLcrit = unname(REMLcrit(fit)),
        ranef = list(order = names(re), first_grouping_factor = names(re)[1], by_factor = by_factor,
                     note = "ranef(condVar=TRUE) conditional modes and conditional sds (as.data.frame(ranef)); coef() = fixed + random per level. lme4 orders grouping factors by decreasing number of levels; all factors are given, 'first_grouping_factor' is lme4's first. Levels are in R's level order."),
        versions = list(R = R.version.string, lme4 = as.character(packageVersion("lme4")),
                        Matrix = as.character(packageVersion("Matrix"))))
}

ortho <- DATA$Orthodont[, c("distance", "age", "Subject", "Sex")]
invisible(write_dataset("orthodont", ortho, file = file.path("..", "orthodont.csv")))
orth_ref <- ref_fit("orthodont", "nlme::Orthodont", "distance ~ age + Sex + (age | Subject)", ortho, "Sex")
orth_ref$data_note <- "nlme::Orthodont as a data.frame; Subject is an ordered factor in R (levels as listed, not alphabetical); Sex levels Male, Female (Male is the reference). CSV: tests/data/orthodont.csv"
writeLines(toJSON(orth_ref, auto_unbox = TRUE, pretty = TRUE, digits = NA, null = "null"), file.path("..", "orthodont_lme4.json"))

pen <- DATA$Penicillin[, c("diameter", "plate", "sample")]
invisible(write_dataset("penicillin", pen, file = file.path("..", "penicillin.csv")))
pen_ref <- ref_fit("penicillin", "lme4::Penicillin", "diameter ~ 1 + (1 | plate) + (1 | sample)", pen, character(0))
pen_ref$data_note <- "lme4::Penicillin. CSV: tests/data/penicillin.csv"
writeLines(toJSON(pen_ref, auto_unbox = TRUE, pretty = TRUE, digits = NA, null = "null"), file.path("..", "penicillin_lme4.json"))

cat("done\n")
