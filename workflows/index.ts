export { recordPushWorkflow } from './record-push';
export { pullWorkflow } from './pull';
export { adoptionPreviewWorkflow, settingsCountWorkflow } from './adopt';
export { notificationDeliveryWorkflow } from './notification';
export { retentionPruneWorkflow } from './retention';
