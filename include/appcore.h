/**
 * @file appcore.h
 * @brief Umbrella header: include this to use libappcore.
 */
#ifndef APPCORE_H
#define APPCORE_H

#include "appcore/common.h"
#include "appcore/config.h"
#include "appcore/error.h"
#include "appcore/jobs.h"
#include "appcore/log.h"
#include "appcore/metrics.h"
#include "appcore/model.h"
#include "appcore/pool.h"
#include "appcore/oip.h"
#include "appcore/predict.h"
#include "appcore/predlog.h"
#include "appcore/protocol.h"
#include "appcore/repository.h"
#include "appcore/tfserving.h"
#include "appcore/rows.h"
#include "appcore/version.h"

#endif /* APPCORE_H */
