export { recordPushWorkflow } from './record-push';
export { pullWorkflow } from './pull';
export { notificationDeliveryWorkflow } from './notification';
