export { NodeSessionRequest } from './request.js';
export { commitBeforeSend, responseSent, sendSessionError } from './respond.js';
