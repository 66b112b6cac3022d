export { commitBeforeSend, responseSent, sendSessionError } from './respond.js';
