# Reference estimated marginal means, contrasts and trends from emmeans (R), for
# tests/statistical/test_interpret_agreement.py. Run from the repository root:
#   Rscript tests/data/emmeans/make_emmeans.R
# Writes tests/data/emmeans/emmeans.json. CI never runs R.
suppressPackageStartupMessages({
  library(lme4)
  library(emmeans)
  library(jsonlite)
})

table_of <- function(x) {
  s <- as.data.frame(summary(x))
  lapply(seq_len(nrow(s)), function(i) as.list(s[i, , drop = FALSE]))
}

cbpp <- read.csv("tests/data/cbpp.csv")
cbpp$period <- factor(cbpp$period)
cbpp$herd <- factor(cbpp$herd)
m_cbpp <- glmer(cbind(incidence, size - incidence) ~ period + (1 | herd), data = cbpp, family = binomial)
cbpp_link <- emmeans(m_cbpp, "period")
cbpp_out <- list(
  link = table_of(cbpp_link),
  response = table_of(regrid(cbpp_link)),
  trt_vs_ctrl_link = table_of(contrast(cbpp_link, "trt.vs.ctrl")),
  trt_vs_ctrl_response = table_of(contrast(regrid(cbpp_link), "trt.vs.ctrl"))
)

orth <- read.csv("tests/data/orthodont.csv")
orth$Sex <- factor(orth$Sex, levels = c("Male", "Female"))
m_orth <- lmer(distance ~ age + Sex + (age | Subject), data = orth, REML = TRUE)
orth_emm <- emmeans(m_orth, "Sex")
orth_out <- list(
  means = table_of(orth_emm),
  pairs = table_of(contrast(orth_emm, "trt.vs.ctrl")),
  trend = table_of(emtrends(m_orth, ~1, var = "age"))
)

out <- list(
  versions = list(R = R.version.string, lme4 = as.character(packageVersion("lme4")),
                  emmeans = as.character(packageVersion("emmeans"))),
  cbpp = list(formula = "cbind(incidence, size - incidence) ~ period + (1 | herd)", binomial = cbpp_out),
  orthodont = list(formula = "distance ~ age + Sex + (age | Subject)", reml = orth_out)
)
writeLines(toJSON(out, auto_unbox = TRUE, digits = 10, pretty = TRUE), "tests/data/emmeans/emmeans.json")
