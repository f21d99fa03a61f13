## R reference for bayeslme's distributional formulas (sigma ~ ...), issue 21.
##
## Run from the repository root:
##     Rscript tests/data/families/make_distributional.R
## Requirements (Debian packages): r-cran-glmmtmb r-cran-nlme r-cran-jsonlite
##
## Data: nlme's Orthodont (Pinheiro & Bates 2000): distance from the pituitary to the
## pterygomaxillary fissure (mm) of 27 children at ages 8, 10, 12, 14. Pinheiro & Bates
## model a residual SD that differs by Sex (varIdent); the same model is fitted here with
## glmmTMB's dispersion formula. glmmTMB 1.1.5's Gaussian dispersion model is on the log
## residual VARIANCE (log sigma^2): checked below against nlme's varIdent, whose
## SD(Female)/SD(Male) equals exp(betad_Female / 2), and whose ML logLik is the same.
## The JSON stores log sigma = betad / 2 (and SE / 2).
## Writes orthodont.csv and orthodont_sigma.json into tests/data/families/.

suppressPackageStartupMessages({ library(glmmTMB); library(nlme); library(jsonlite) })
out_dir <- file.path("tests", "data", "families")

data(Orthodont, package = "nlme")
frame <- data.frame(distance = Orthodont$distance, age = Orthodont$age,
                    Subject = as.character(Orthodont$Subject), Sex = as.character(Orthodont$Sex))
write.csv(frame, file.path(out_dir, "orthodont.csv"), row.names = FALSE)
frame$Sex <- factor(frame$Sex, levels = c("Male", "Female"))

fit <- glmmTMB(distance ~ age + Sex + (1 | Subject), dispformula = ~ Sex, data = frame, REML = FALSE)
stopifnot(fit$fit$convergence == 0, fit$sdr$pdHess)
cond <- summary(fit)$coefficients$cond
disp <- summary(fit)$coefficients$disp
vc <- VarCorr(fit)$cond$Subject

## parametrization check: nlme's ML fit with varIdent by Sex gives the same SD ratio
lfit <- lme(distance ~ age + Sex, random = ~ 1 | Subject, weights = varIdent(form = ~ 1 | Sex),
            data = frame, method = "ML")
ratio_nlme <- unname(coef(lfit$modelStruct$varStruct, unconstrained = FALSE, allCoef = TRUE)["Female"] /
                     coef(lfit$modelStruct$varStruct, unconstrained = FALSE, allCoef = TRUE)["Male"])
ratio_tmb <- exp(disp["SexFemale", "Estimate"] / 2)
stopifnot(abs(ratio_nlme - ratio_tmb) < 1e-3, abs(as.numeric(logLik(lfit)) - as.numeric(logLik(fit))) < 1e-4)

out <- list(
  source = list(R = R.version.string, glmmTMB = as.character(packageVersion("glmmTMB")),
                nlme = as.character(packageVersion("nlme")),
                generated_by = "tests/data/families/make_distributional.R"),
  model = "glmmTMB(distance ~ age + Sex + (1 | Subject), dispformula = ~ Sex, REML = FALSE)",
  fixed = list(names = rownames(cond), estimate = unname(cond[, "Estimate"]), se = unname(cond[, "Std. Error"])),
  log_sigma = list(names = rownames(disp), estimate = unname(disp[, "Estimate"]) / 2,
                   se = unname(disp[, "Std. Error"]) / 2),
  sd_subject = unname(attr(vc, "stddev")),
  logLik = as.numeric(logLik(fit)),
  parametrization_check = list(sd_ratio_nlme_varIdent = ratio_nlme, sd_ratio_glmmTMB = unname(ratio_tmb))
)
write(toJSON(out, auto_unbox = TRUE, digits = 12, pretty = TRUE), file.path(out_dir, "orthodont_sigma.json"))
