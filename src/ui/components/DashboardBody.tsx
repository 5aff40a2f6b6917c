// The dashboard under the charts: the agent grid, then the log and the alerts
// (beside each other on a wide screen, the alerts below the log on a tall
// one, or, with no room for both, whichever of the two Tab chose).

import { memo } from 'react';
import { Box } from 'ink';
import type { AgentTableModel } from '../viewModels/agentTable.js';
import type { AlertRow } from '../viewModels/alerts.js';
import type { Layout } from '../viewModels/layout.js';
import { samePlainData, type DrawnLogPane } from '../viewModels/screen.js';
import { AgentGrid } from './AgentGrid.js';
import { AlertsPane } from './AlertsPane.js';
import { LogPane } from './LogPane.js';

export const DashboardBody = memo(DashboardPanels, samePlainData);

function DashboardPanels(props: {
  layout: Layout;
  agentTable: AgentTableModel;
  agentCount: number;
  selected: string | null;
  logPane: DrawnLogPane;
  filter: string;
  alerts: readonly AlertRow[];
  alertsDetail: string;
  alertCount: number;
  /** No room for both: the alerts are shown in the log's place. */
  alertsInLogPlace: boolean;
}) {
  const { layout, alerts, alertsDetail, alertCount } = props;
  const log = props.alertsInLogPlace ? (
    <AlertsPane rows={alerts} detail={alertsDetail} width={layout.log.width} height={layout.log.rows} />
  ) : (
    <LogPane model={props.logPane} width={layout.log.width} rows={layout.log.rows} filter={props.filter} hiddenAlerts={layout.alerts.rows === 0 ? alertCount : 0} />
  );
  const alertsPane = layout.alerts.rows > 0 ? <AlertsPane rows={alerts} detail={alertsDetail} width={layout.alerts.width} height={layout.alerts.rows} /> : null;
  return (
    <Box flexDirection="column">
      <AgentGrid model={props.agentTable} total={props.agentCount} width={layout.width} selected={props.selected} />
      <Box flexDirection={layout.alerts.beside ? 'row' : 'column'} gap={layout.alerts.beside ? 1 : 0}>
        {log}
        {alertsPane}
      </Box>
    </Box>
  );
}
