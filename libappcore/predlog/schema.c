/* Schema migrations of the prediction log (docs/prediction-log.md describes the table). */
#include "predlog/schema.h"

const struct pl_migration pl_migrations[] = {
	{ 1, "appcore_predictions with indexes by model and time, and by request id",
	  "CREATE TABLE IF NOT EXISTS appcore_predictions (\n"
	  "  record_id     uuid             NOT NULL,\n"
	  "  row_index     integer          NOT NULL,\n"
	  "  request_id    text             NOT NULL,\n"
	  "  model_name    text             NOT NULL,\n"
	  "  model_version text             NOT NULL,\n"
	  "  received_at   timestamptz      NOT NULL,\n"
	  "  inputs        real[],\n"
	  "  outputs       real[]           NOT NULL,\n"
	  "  output_kind   text             NOT NULL CHECK (output_kind IN ('value', 'margin')),\n"
	  "  latency_ms    double precision NOT NULL,\n"
	  "  client        text,\n"
	  "  logged_at     timestamptz      NOT NULL DEFAULT now(),\n"
	  "  PRIMARY KEY (record_id, row_index)\n"
	  ");\n"
	  "CREATE INDEX IF NOT EXISTS appcore_predictions_model_time\n"
	  "  ON appcore_predictions (model_name, received_at);\n"
	  /* BRIN: rows arrive in time order, and it costs almost nothing to maintain */
	  "CREATE INDEX IF NOT EXISTS appcore_predictions_received_at\n"
	  "  ON appcore_predictions USING brin (received_at);\n"
	  "CREATE INDEX IF NOT EXISTS appcore_predictions_request_id\n"
	  "  ON appcore_predictions (request_id);\n" },
};
const size_t pl_num_migrations = sizeof(pl_migrations) / sizeof(pl_migrations[0]);
